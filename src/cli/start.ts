/** `hearth start`: the gateway with every configured platform and the HTTP server. */
import { serve } from '@hono/node-server';
import { createHearth } from '../hearth.ts';
import { createLogger } from '../log.ts';
import { configuredAdapters } from '../platforms.ts';
import { parseOwnerAccounts } from '../access/people.ts';
import { bootConfig, reportFatal } from './boot.ts';
import { checkOllama } from '../doctor.ts';
import { releaseStartupGarbage } from './startup-memory.ts';

export async function runStart(configFile: string | undefined): Promise<void> {
  const startedAt = performance.now();
  const config = bootConfig(configFile);
  const log = createLogger({ level: config.logLevel });
  const adapters = await configuredAdapters(config, log);
  if (adapters.length === 0) log.warn('no chat platform is configured: only `hearth chat` can talk to Hearth. See README → Telegram, Discord, Matrix.');
  if (parseOwnerAccounts(config.owner).length === 0 && adapters.length > 0) {
    log.warn('HEARTH_OWNER is not set: Hearth will refuse everyone on chat platforms. Set it to your own account, e.g. HEARTH_OWNER=telegram:123456789');
  }
  const hearth = await createHearth({ config, log, adapters, processMetrics: true }).catch(reportFatal);
  await hearth.start();
  const server = serve({ fetch: hearth.http.fetch, port: config.http.port, hostname: config.http.host });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', resolve).once('error', () => resolve())));
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : config.http.port;
  server.on('error', (error: NodeJS.ErrnoException) => {
    const fix = error.code === 'EADDRINUSE' ? `port ${config.http.port} is taken: set HEARTH_HTTP_PORT to a free port` : error.message;
    log.error({ err: error }, `the HTTP server could not start: ${fix}`);
  });
  log.info({ http: `http://${config.http.host}:${port}`, database: hearth.database.location, model: config.ollama.model, platforms: adapters.map((a) => a.platform), readyMs: Math.round(performance.now() - startedAt) }, 'Hearth is ready');

  setTimeout(releaseStartupGarbage, 2_000).unref();

  // Not a precondition (Ollama may come up later; messages wait for it), but a newcomer should
  // learn at once why answers would not come.
  void checkOllama(config).then((checks) => {
    for (const check of checks.filter((c) => !c.ok)) log.warn({ fix: check.fix }, `${check.name}: ${check.detail}`);
  });

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
