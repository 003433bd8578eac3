/**
 * The admin API under /admin: the operations of admin-operations.ts over HTTP. Off (404) unless
 * HEARTH_ADMIN_TOKEN is set; every request needs `Authorization: Bearer <token>`, compared in
 * constant time. Failed attempts are audited and throttled per client address — after too many,
 * even the right token waits — and every authorized call is audited.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Hono } from 'hono';
import { RateLimiterMemory } from '../rate-limiter.ts';
import type { Access } from '../access/access.ts';
import { OperationError, operations, type Params } from './admin-operations.ts';
import { clientOf } from './client.ts';
import { toolKeyProblem } from '../access/grants.ts';

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
      // Counted per client and window: a script hammering the API adds a bounded number of rows.
      await access.audit.recordRepeated(`admin:${client}`, { ...base, subject: '/admin', detail: { ...base.detail, reason: 'too many failed attempts' } });
      c.header('Retry-After', String(Math.ceil(state.msBeforeNext / 1000)));
      return c.json({ error: 'too many failed attempts; try again later' }, 429);
    }
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!given || !tokenMatches(given, token)) {
      await failures.consume(client).catch(() => undefined);
      await access.audit.recordRepeated(`admin:${client}`, { ...base, subject: '/admin', detail: { ...base.detail, reason: given ? 'wrong token' : 'no bearer token', path: auditedPath(c.req.path).slice(0, 200) } });
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
      const problem = paramProblem(params);
      if (problem) return c.json({ error: problem }, 400);
      try {
        const result = await operation.run(access, params, 'admin-api');
        return result instanceof Response ? result : c.json(result as object);
      } catch (error) {
        if (error instanceof OperationError) return c.json({ error: error.message }, error.status);
        throw error;
      }
    });
  }
}

/**
 * Ids, codes, names and tool names as the API accepts them: bounded, printable, and a tool name
 * in its own alphabet. A bad one is the caller's mistake (400), never a database error (500).
 */
function paramProblem(params: Params): string | undefined {
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (value.length > 500) return `"${name}" is too long (at most 500 characters)`;
    if (/[\u0000-\u001f\u007f]/.test(value) || !value.isWellFormed()) return `"${name}" contains control characters or broken text`;
  }
  if (params.tool !== undefined) return toolKeyProblem(params.tool);
  return undefined;
}
