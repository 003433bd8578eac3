/**
 * The HTTP surface (Hono): liveness, readiness, Prometheus metrics, and the webhook routes that
 * push-style adapters expose. Tests call `app.request()` in-process, without a port.
 */
import { Hono } from 'hono';
import { sql } from 'drizzle-orm';
import type { WebhookRoute } from '../core/index.ts';
import type { Database } from '../db/client.ts';
import type { Metrics } from './metrics.ts';

export interface HttpDependencies {
  database: Database;
  metrics: Metrics;
  adapterHealth(): Array<{ platform: string; ok: boolean; detail: string }>;
  webhooks: WebhookRoute[];
}

export function createHttpApp(deps: HttpDependencies): Hono {
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/readyz', async (c) => {
    const database = await deps.database
      .rows(sql`select 1`)
      .then(() => ({ ok: true, detail: `${deps.database.driver} reachable` }))
      .catch((error: Error) => ({ ok: false, detail: `database unreachable: ${error.message}` }));
    const adapters = deps.adapterHealth();
    const ready = database.ok && adapters.every((a) => a.ok);
    return c.json({ ready, database, adapters }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  for (const route of deps.webhooks) {
    app.on(route.method, route.path, (c) => route.handle(c.req.raw));
  }

  return app;
}
