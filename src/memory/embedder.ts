/**
 * Text → vector through Ollama's /api/embed (the official client). When Ollama is down the
 * caller gets an EmbeddingUnavailableError quickly: after a failure, calls fail at once for a
 * short cool-down instead of making every turn wait for another timeout.
 */
import { Ollama } from 'ollama';

export class EmbeddingUnavailableError extends Error {
  override name = 'EmbeddingUnavailableError';
}

export interface EmbedderOptions {
  host: string;
  model: string;
  keepAlive?: string;
  timeoutMs?: number;
  /** After a failure, skip calls for this long (default 15 s). */
  coolDownMs?: number;
}

export interface Embedder {
  /** The model name as stored with each embedding ("nomic-embed-text:latest"). */
  readonly model: string;
  /** `probe` ignores the cool-down (the background retry job uses it to notice Ollama is back). */
  embed(texts: string[], options?: { probe?: boolean }): Promise<number[][]>;
}

/** "nomic-embed-text" and "nomic-embed-text:latest" are the same model to Ollama. */
export function normalizeModelName(model: string): string {
  return /:[^/]+$/.test(model) ? model : `${model}:latest`;
}

export function createEmbedder(options: EmbedderOptions): Embedder {
  const model = normalizeModelName(options.model);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const coolDownMs = options.coolDownMs ?? 15_000;
  let failedUntil = 0;
  let lastError = '';
  const client = new Ollama({ host: options.host, fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }) });
  return {
    model,
    async embed(texts, { probe = false } = {}) {
      if (texts.length === 0) return [];
      if (!probe && Date.now() < failedUntil) throw new EmbeddingUnavailableError(`embeddings are paused after a failure (${lastError})`);
      try {
        const response = await client.embed({ model: options.model, input: texts, truncate: true, keep_alive: options.keepAlive });
        const vectors = response.embeddings;
        if (vectors.length !== texts.length || vectors.some((v) => !Array.isArray(v) || v.length === 0 || v.some((x) => !Number.isFinite(x)))) {
          throw new Error(`Ollama returned ${vectors.length} embedding(s) for ${texts.length} text(s)`);
        }
        failedUntil = 0;
        return vectors;
      } catch (error) {
        const err = error as { name?: string; message?: string; cause?: { code?: string } };
        lastError = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message ?? String(error));
        if (/not found/i.test(lastError)) lastError += ` (fix: \`ollama pull ${options.model}\` on the Ollama host, or set OLLAMA_EMBED_MODEL)`;
        failedUntil = Date.now() + coolDownMs;
        throw new EmbeddingUnavailableError(`could not embed with ${model} at ${options.host}: ${lastError}`, { cause: error });
      }
    },
  };
}
