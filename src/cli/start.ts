/** `hearth start`: the gateway with every configured platform and the HTTP server. */
import { serve } from '@hono/node-server';
import { createHearth } from '../hearth.ts';
import { createLogger } from '../log.ts';
import { configuredAdapters } from '../platforms.ts';
import { parseOwnerAccounts } from '../access/people.ts';
import { bootConfig, reportFatal } from './boot.ts';

export async function runStart(configFile: string | undefined): Promise<void> {
  const startedAt = performance.now();
  const config = bootConfig(configFile);
  const log = createLogger({ level: config.logLevel });
  const adapters = await configuredAdapters(config, log);
  if (adapters.length === 0) log.warn('no chat platform is configured: only `hearth chat` can talk to Hearth. See README → Platforms.');
  if (parseOwnerAccounts(config.owner).length === 0 && adapters.length > 0) {
    log.warn('HEARTH_OWNER is not set: Hearth will refuse everyone on chat platforms. Set it to your own account, e.g. HEARTH_OWNER=telegram:123456789');
  }
  const hearth = await createHearth({ config, log, adapters, processMetrics: true }).catch(reportFatal);
  await hearth.start();
  const server = serve({ fetch: hearth.http.fetch, port: config.http.port, hostname: config.http.host });
  server.on('error', (error: NodeJS.ErrnoException) => {
    const fix = error.code === 'EADDRINUSE' ? `port ${config.http.port} is taken: set HEARTH_HTTP_PORT to a free port` : error.message;
    log.error({ err: error }, `the HTTP server could not start: ${fix}`);
  });
  log.info({ http: `http://${config.http.host}:${config.http.port}`, database: hearth.database.location, model: config.ollama.model, platforms: adapters.map((a) => a.platform), readyMs: Math.round(performance.now() - startedAt) }, 'Hearth is ready');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    server.close();
    await hearth.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
