/** `hearth start`: the gateway with every configured platform and the HTTP server. */
import { serve } from '@hono/node-server';
import { createHearth } from '../hearth.ts';
import { createLogger } from '../log.ts';
import { configuredAdapters } from '../platforms.ts';
import { nextSteps, printNextSteps } from './next-steps.ts';
import { People } from '../access/people.ts';
import { bootConfig, reportFatal } from './boot.ts';
import { checkOllama } from '../doctor.ts';
import { releaseStartupGarbage } from './startup-memory.ts';
import { installStopSignals } from './stop-signals.ts';

export async function runStart(configFile: string | undefined): Promise<void> {
  const startedAt = performance.now();
  // First of all, so a stop at any later moment is a clean one.
  const stop = installStopSignals();
  const warnings: string[] = [];
  const config = bootConfig(configFile, (warning) => warnings.push(warning));
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  for (const warning of warnings) log.warn(warning);
  const adapters = await configuredAdapters(config, log);
  if (stop.requested) return stopBeforeStart(log, stop.requested);
  // Opening (and migrating) the database is not cut short; a stop meanwhile closes it right after.
  const hearth = await createHearth({ config, log, adapters, processMetrics: true }).catch(reportFatal);
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string, server?: { close(): void }) =>
    (stopping ??= (async () => {
      log.info({ signal }, 'stopping');
      server?.close();
      await hearth.stop();
      log.info('stopped');
      process.exit(0);
    })());
  if (stop.requested) return shutdown(stop.requested);
  // A stop while platforms connect stops them and closes the database, without waiting for "ready".
  const started = hearth.start();
  const first = await Promise.race([started.then(() => undefined), stop.received]);
  if (first || stop.requested) return shutdown(first ?? stop.requested!);
  const server = serve({ fetch: hearth.http.fetch, port: config.http.port, hostname: config.http.host });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', resolve).once('error', () => resolve())));
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : config.http.port;
  server.on('error', (error: NodeJS.ErrnoException) => {
    const fix = error.code === 'EADDRINUSE' ? `port ${config.http.port} is taken: set HEARTH_HTTP_PORT to a free port` : error.message;
    log.error({ err: error }, `the HTTP server could not start: ${fix}`);
  });
  log.info({ http: `http://${config.http.host}:${port}`, database: hearth.database.location, model: config.ollama.model, platforms: adapters.map((a) => a.platform), node: [process.version, ...process.execArgv].join(' '), readyMs: Math.round(performance.now() - startedAt) }, 'Hearth is ready');

  printNextSteps(nextSteps(config, adapters, await new People(hearth.database.db).ownerAccounts()), log, config.logFormat);
  setTimeout(releaseStartupGarbage, 2_000).unref();

  // Not a precondition (Ollama may come up later; messages wait for it), but a newcomer should
  // learn at once why answers would not come.
  void checkOllama(config).then((checks) => {
    for (const check of checks.filter((c) => !c.ok)) log.warn({ fix: check.fix }, `${check.name}: ${check.detail}`);
  });

  void stop.received.then((signal) => shutdown(signal, server));
}

function stopBeforeStart(log: { info(obj: object, msg: string): void }, signal: string): never {
  log.info({ signal }, 'stopping before anything started');
  process.exit(0);
}
