/**
 * The HTTP surface (Hono): liveness, readiness, Prometheus metrics, and the webhook routes that
 * push-style adapters expose. Tests call `app.request()` in-process, without a port.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { sql } from 'drizzle-orm';
import type { WebhookRoute } from '../core/index.ts';
import type { Database } from '../db/client.ts';
import type { Metrics } from './metrics.ts';
import { clientOf } from './client.ts';

export interface HttpDependencies {
  database: Database;
  metrics: Metrics;
  adapterHealth(): Array<{ platform: string; ok: boolean; detail: string }>;
  webhooks: WebhookRoute[];
  /** Platform connections this process holds, and those another process holds (several processes on one database). */
  connections?(): { process?: number; held: string[]; standingBy: string[] };
  /** Larger request bodies get 413 before they are read (HEARTH_HTTP_BODY_LIMIT_BYTES). */
  bodyLimitBytes: number;
}

export function createHttpApp(deps: HttpDependencies): Hono {
  const app = new Hono();
  // Before any route reads a body: a declared length over the limit is refused unread, a
  // streamed one as soon as it passes the limit (hono's bodyLimit).
  app.use(
    '*',
    bodyLimit({
      maxSize: deps.bodyLimitBytes,
      onError: (c) => c.json({ error: `request body larger than ${deps.bodyLimitBytes} bytes (HEARTH_HTTP_BODY_LIMIT_BYTES)` }, 413),
    }),
  );

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/readyz', async (c) => {
    const database = await deps.database
      .rows(sql`select 1`)
      .then(() => ({ ok: true, detail: `${deps.database.driver} reachable` }))
      .catch((error: Error) => ({ ok: false, detail: `database unreachable: ${error.message}` }));
    const adapters = deps.adapterHealth();
    const ready = database.ok && adapters.every((a) => a.ok);
    return c.json({ ready, database, adapters, ...(deps.connections ? { connections: deps.connections() } : {}) }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  for (const route of deps.webhooks) {
    app.on(route.method, route.path, async (c) => route.handle(c.req.raw, { client: await clientOf(c) }));
  }

  return app;
}
