/**
 * `hearth chat`: the console channel. The owner talks to the agent through the same pipeline as
 * every platform (journal, history, tools), so this is also the quickest way to try a model.
 */
import { createConsoleAdapter } from '../../adapters/console/index.ts';
import { createHearth } from '../hearth.ts';
import { createLogger } from '../log.ts';
import { bootConfig, reportFatal } from './boot.ts';
import { installStopSignals } from './stop-signals.ts';

export async function runChat(configFile: string | undefined): Promise<void> {
  // First of all: Ctrl-C or SIGTERM at any moment ends in a clean stop (database closed).
  const stop = installStopSignals();
  const config = bootConfig(configFile);
  // Logs go to stderr, quiet by default, so the conversation on stdout stays readable and scriptable.
  const log = createLogger({ level: process.env.HEARTH_LOG_LEVEL ?? 'warn', stream: process.stderr });
  const interactive = Boolean(process.stdin.isTTY);
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const adapter = createConsoleAdapter({ input: process.stdin, output: process.stdout, interactive, agentName: config.agent.name, onDrained: () => finish() });
  const hearth = await createHearth({ config, log, adapters: [adapter] }).catch(reportFatal);
  if (interactive) process.stdout.write(`Talking to ${config.agent.name} (${config.ollama.model} at ${config.ollama.host}). Ctrl-D to leave.\n`);
  void stop.received.then(() => finish());
  if (!stop.requested) await hearth.start();
  await finished;
  await hearth.stop();
}
