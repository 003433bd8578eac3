/**
 * Text → vector through Ollama's /api/embed (the official client). When Ollama is down the
 * caller gets an EmbeddingUnavailableError quickly: after a failure, calls fail at once for a
 * short cool-down instead of making every turn wait for another timeout.
 */
import { Ollama } from 'ollama';
import { OllamaPool, ollamaPoolFor, type FailureVerdict } from '../agent/pool.ts';
import type { Config } from '../config/types.ts';

export class EmbeddingUnavailableError extends Error {
  override name = 'EmbeddingUnavailableError';
}

export interface EmbedderOptions {
  /** One server, or the pool of a running Hearth (embeddings go to its embed servers). */
  host: string | OllamaPool;
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
  const pool = typeof options.host === 'string' ? new OllamaPool([{ url: options.host, concurrency: 64, chat: false, embed: true }]) : options.host;
  const clients = new Map<string, Ollama>();
  const clientFor = (host: string) => clients.get(host) ?? clients.set(host, new Ollama({ host, fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }) })).get(host)!;
  return {
    model,
    async embed(texts, { probe = false } = {}) {
      if (texts.length === 0) return [];
      if (!probe && Date.now() < failedUntil) throw new EmbeddingUnavailableError(`embeddings are paused after a failure (${lastError})`);
      try {
        // Another embed server is tried when one is down or lacks the model; every answer is checked.
        const response = await pool.use('embed', options.model, (host) => clientFor(host).embed({ model: options.model, input: texts, truncate: true, keep_alive: options.keepAlive }), { verdict: embedVerdict });
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
        throw new EmbeddingUnavailableError(`could not embed with ${model} at ${pool.hosts('embed')}: ${lastError}`, { cause: error });
      }
    },
  };
}

function embedVerdict(error: unknown): FailureVerdict {
  const err = error as { status_code?: number; message?: string };
  if (err?.status_code === 404 || /not found/i.test(err?.message ?? '')) return 'model-missing';
  return 'server';
}

/** How many recent single-text embeddings are kept, and for how long. */
const SHARED_ENTRIES = 32;
const SHARED_MS = 30_000;

/**
 * An embedder whose single-text calls for the same text share one request: recall and tool
 * choice both embed the incoming message at the same moment, and one call to Ollama is enough.
 * Failures are not kept, so the next call tries again (subject to the cool-down).
 */
export function sharingEmbedder(embedder: Embedder): Embedder {
  const recent = new Map<string, { vectors: Promise<number[][]>; at: number }>();
  return {
    model: embedder.model,
    embed(texts, options) {
      if (texts.length !== 1 || options?.probe) return embedder.embed(texts, options);
      const text = texts[0]!;
      const kept = recent.get(text);
      if (kept && Date.now() - kept.at < SHARED_MS) return kept.vectors;
      const vectors = embedder.embed(texts);
      recent.delete(text);
      recent.set(text, { vectors, at: Date.now() });
      if (recent.size > SHARED_ENTRIES) recent.delete(recent.keys().next().value!);
      vectors.catch(() => {
        if (recent.get(text)?.vectors === vectors) recent.delete(text);
      });
      return vectors;
    },
  };
}

const embedders = new WeakMap<object, Embedder>();

/** The one embedder of a running Hearth: over its Ollama pool, shared by recall and tool choice. */
export function embedderFor(config: Pick<Config, 'ollama'>): Embedder {
  let embedder = embedders.get(config.ollama);
  if (!embedder) {
    const { embedModel, keepAlive, embedTimeoutMs } = config.ollama;
    embedder = sharingEmbedder(createEmbedder({ host: ollamaPoolFor(config), model: embedModel, keepAlive, timeoutMs: embedTimeoutMs }));
    embedders.set(config.ollama, embedder);
  }
  return embedder;
}
