/**
 * Why the model did not answer. Every one of these is temporary from the person's point of view:
 * they get a short apology and the message is retried; the log carries the fix for the owner.
 */
export type ModelFailure = 'unreachable' | 'first-token-timeout' | 'turn-timeout' | 'model-missing' | 'model-error';

export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
  readonly failure: ModelFailure;
  /** What the owner can do about it (shown in logs and `hearth doctor`). */
  readonly fix: string;
  constructor(failure: ModelFailure, message: string, fix: string, options?: ErrorOptions) {
    super(message, options);
    this.failure = failure;
    this.fix = fix;
  }
}

/** Turns whatever fetch / the ollama client threw into a ModelUnavailableError. */
export function classifyModelError(error: unknown, context: { host: string; model: string; timedOut?: 'first-token' | 'turn' }): ModelUnavailableError {
  if (error instanceof ModelUnavailableError) return error;
  if (context.timedOut === 'first-token') {
    return new ModelUnavailableError('first-token-timeout', `Ollama sent nothing for ${context.model} before the first-token timeout`, 'a CPU-only box may need a smaller model or a larger OLLAMA_FIRST_TOKEN_TIMEOUT_MS; check `ollama ps` for a stuck load', { cause: error });
  }
  if (context.timedOut === 'turn') {
    return new ModelUnavailableError('turn-timeout', `the answer from ${context.model} took longer than the turn timeout`, 'raise OLLAMA_TURN_TIMEOUT_MS or use a faster model', { cause: error });
  }
  const err = error as { name?: string; status_code?: number; message?: string; cause?: { code?: string } };
  if (err?.name === 'ResponseError' && typeof err.status_code === 'number') {
    if (err.status_code === 404 || /not found/i.test(err.message ?? '')) {
      return new ModelUnavailableError('model-missing', `Ollama does not have the model ${context.model}: ${err.message}`, `run \`ollama pull ${context.model}\` on the Ollama host, or set OLLAMA_MODEL to a model from \`ollama list\``, { cause: error });
    }
    return new ModelUnavailableError('model-error', `Ollama answered HTTP ${err.status_code}: ${err.message}`, 'look at the Ollama server log (`journalctl -u ollama` or `docker logs ollama`)', { cause: error });
  }
  if (err?.name === 'TypeError' || err?.cause?.code || /fetch failed|ECONNREFUSED|ECONNRESET|socket|network/i.test(err?.message ?? '')) {
    return new ModelUnavailableError('unreachable', `could not reach Ollama at ${context.host}: ${err?.cause?.code ?? err?.message}`, `start Ollama (\`ollama serve\`) or set OLLAMA_HOST to where it runs`, { cause: error });
  }
  return new ModelUnavailableError('model-error', `Ollama failed: ${err?.message ?? String(error)}`, 'look at the Ollama server log', { cause: error });
}
