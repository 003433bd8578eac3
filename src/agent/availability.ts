/**
 * Whether the model is answering, as last seen by anyone who talked to it. The chat client says
 * so after every call; a health probe, or a pool of Ollama hosts watching its members, may say so
 * too. Messages waiting to be retried listen for the model coming back, so a person never waits
 * on a backoff timer for a model that already answers again.
 */
import type { ModelFailure } from './errors.ts';

export class ModelAvailability {
  private failure: ModelFailure | undefined;
  private readonly listeners = new Set<() => void>();

  /** The failure that made the model count as down, or undefined while it answers. */
  get down(): ModelFailure | undefined {
    return this.failure;
  }

  /** The model answered (a call succeeded, or a probe or pool health check saw it answer). */
  answered(): void {
    if (!this.failure) return;
    this.failure = undefined;
    for (const listener of this.listeners) listener();
  }

  /** A call could not get an answer. */
  failed(failure: ModelFailure): void {
    this.failure = failure;
  }

  /** Called each time the model answers again after being down; returns the unsubscribe. */
  onBack(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
