/**
 * The admin API under /admin: the operations of admin-operations.ts over HTTP. Off (404) unless
 * HEARTH_ADMIN_TOKEN is set; every request needs `Authorization: Bearer <token>`, compared in
 * constant time. Failed attempts are audited and throttled per client address — after too many,
 * even the right token waits — and every authorized call is audited.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Access } from '../access/access.ts';
import { OperationError, operations, type Params } from './admin-operations.ts';

export interface AdminOptions {
  token: string | undefined;
  /** Failed attempts per client before it is locked out for the window. */
  maxFailures?: number;
  windowSeconds?: number;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

async function clientOf(c: Context): Promise<string> {
  try {
    const { getConnInfo } = await import('@hono/node-server/conninfo');
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'in-process'; // app.request() in tests has no socket
  }
}

/** Paths as audited: codes in them are credentials of a sort, so they are masked. */
const auditedPath = (path: string) => path.replace(/(\/pairing\/)[^/]+/, '$1***');

export function adminRoutes(app: Hono, access: Access, options: AdminOptions): void {
  const { token } = options;
  if (!token) return; // no routes at all: /admin/* answers 404 like any unknown path
  const failures = new RateLimiterMemory({ points: options.maxFailures ?? 10, duration: options.windowSeconds ?? 15 * 60 });

  app.use('/admin/*', async (c, next) => {
    const client = await clientOf(c);
    const base = { kind: 'admin.auth_failed', subject: auditedPath(c.req.path), detail: { method: c.req.method, client } };
    const state = await failures.get(client);
    if (state && state.remainingPoints <= 0) {
      await access.audit.record({ ...base, detail: { ...base.detail, reason: 'too many failed attempts' } });
      c.header('Retry-After', String(Math.ceil(state.msBeforeNext / 1000)));
      return c.json({ error: 'too many failed attempts; try again later' }, 429);
    }
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!given || !tokenMatches(given, token)) {
      await failures.consume(client).catch(() => undefined);
      await access.audit.record({ ...base, detail: { ...base.detail, reason: given ? 'wrong token' : 'no bearer token' } });
      c.header('WWW-Authenticate', 'Bearer realm="hearth-admin"');
      return c.json({ error: 'unauthorized: send Authorization: Bearer <HEARTH_ADMIN_TOKEN>' }, 401);
    }
    await next();
    const owner = await access.people.owner();
    await access.audit.record({ kind: 'admin.call', actorPersonId: owner?.id ?? null, subject: auditedPath(c.req.path), detail: { method: c.req.method, status: c.res.status, client } });
  });

  for (const operation of Object.values(operations)) {
    app.on(operation.method, operation.path, async (c) => {
      let body: Params = {};
      if (c.req.method === 'POST' && (c.req.header('content-type') ?? '').includes('json')) {
        const raw = await c.req.json<Record<string, unknown>>().catch(() => ({}));
        body = Object.fromEntries(Object.entries(raw ?? {}).map(([key, value]) => [key, value === null || value === undefined ? undefined : String(value)]));
      }
      const params: Params = { ...c.req.query(), ...body, ...c.req.param() };
      try {
        return c.json((await operation.run(access, params, 'admin-api')) as object);
      } catch (error) {
        if (error instanceof OperationError) return c.json({ error: error.message }, error.status);
        throw error;
      }
    });
  }
}
