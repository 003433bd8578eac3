/**
 * The word a person gets when the model has not started answering after a while (a CPU box can
 * take minutes to load a model or read a long prompt). Ollama's /api/ps tells "busy" apart from
 * "gone", so the person and the owner's log hear which it is; the answer still comes, or the usual
 * apology and retry when the first-token timeout runs out.
 */
import type { OllamaActivity } from '../agent/ollama-status.ts';
import type { Logger } from '../log.ts';

export const SLOW_NOTICES: Record<OllamaActivity, string> = {
  processing: 'Still thinking — the model is busy working through it, which can take a minute or two here. The answer is coming.',
  loading: 'Still thinking — the model is being loaded, which can take a minute or two here. The answer is coming.',
  'not-answering': "This is taking longer than usual: the model isn't responding at the moment. I'm still waiting for it and will answer as soon as it does.",
};

export function logSlowStart(log: Logger, activity: OllamaActivity, waitedMs: number): void {
  const waitedSeconds = Math.round(waitedMs / 1000);
  if (activity === 'not-answering') {
    log.warn({ waitedSeconds, activity, fix: 'check that Ollama is running (`ollama ps`, `journalctl -u ollama` or `docker logs ollama`)' }, 'no first word from the model yet, and Ollama stopped answering');
  } else {
    log.info({ waitedSeconds, activity }, `no first word from the model yet; Ollama is up but busy ${activity === 'loading' ? 'loading the model' : 'processing'}`);
  }
}
