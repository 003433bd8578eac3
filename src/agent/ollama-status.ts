/**
 * Cheap questions to Ollama beside a chat: is it there, and is it busy? `/api/ps` lists the models
 * it has loaded (https://github.com/ollama/ollama/blob/main/docs/api.md#list-running-models); a
 * chat with no messages only loads the model and returns at once when it is loaded (the
 * documented "load a model" request), so it proves the model can answer without writing a word.
 */
import { Ollama } from 'ollama';

/** What Ollama was doing while an answer had not started. */
export type OllamaActivity =
  /** It answers and has the model loaded: it is working on a prompt (ours, or one ahead of it). */
  | 'processing'
  /** It answers but the model is not (yet) loaded: it is loading it from disk. */
  | 'loading'
  /** It does not answer at all. */
  | 'not-answering';

export interface OllamaTarget {
  host: string;
  model: string;
}

function clientWithin(host: string, timeoutMs: number): Ollama {
  return new Ollama({ host, fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) }) });
}

const sameModel = (listed: string, wanted: string) => listed === wanted || listed === `${wanted}:latest` || listed.replace(/:latest$/, '') === wanted;

export async function ollamaActivity(target: OllamaTarget, timeoutMs = 3_000): Promise<OllamaActivity> {
  try {
    const running = await clientWithin(target.host, timeoutMs).ps();
    return running.models.some((m) => sameModel(m.name, target.model) || sameModel(m.model, target.model)) ? 'processing' : 'loading';
  } catch {
    return 'not-answering';
  }
}

/** True when the model can be reached and is loaded (loading it if needed, within the timeout). */
export async function modelAnswers(target: OllamaTarget & { keepAlive?: string }, timeoutMs = 5_000): Promise<boolean> {
  try {
    await clientWithin(target.host, timeoutMs).chat({ model: target.model, messages: [], stream: false, keep_alive: target.keepAlive });
    return true;
  } catch {
    return false;
  }
}
