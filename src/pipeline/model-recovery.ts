/**
 * Prompt recovery when the model answers again. A message the model could not answer waits for a
 * retry with a growing pause, and the conversation's later messages wait behind it (strict order).
 * So as soon as the model is seen answering — any successful call, or a cheap probe sent while it
 * counts as down — every waiting message is made due at once and retried in order. And while the
 * model answers, a newer message never waits on an older one's backoff timer: its arrival makes
 * the older one due.
 */
import type { ChatModel } from '../agent/model.ts';
import type { Logger } from '../log.ts';
import type { Journal } from './journal.ts';

/** How often a model that counts as down is probed. Cheap: one small local HTTP request. */
export const MODEL_PROBE_INTERVAL_MS = 1_000;

export interface ModelRecoveryOptions {
  model: ChatModel;
  journal: Journal;
  log: Logger;
  /** Starts turns that are due. */
  wake(): void;
  /** Gateway-owned repeating work (stopped with the gateway). */
  every(name: string, intervalMs: number, work: () => Promise<void>): void;
}

export class ModelRecovery {
  private readonly options: ModelRecoveryOptions;
  /** Conversations with a message waiting for a retry (as far as this process knows). */
  private readonly waiting = new Set<string>();

  constructor(options: ModelRecoveryOptions) {
    this.options = options;
  }

  start(): void {
    const { model, every } = this.options;
    const availability = model.availability;
    if (!availability) return;
    availability.onBack(() => void this.retryNow());
    if (model.probe) every('model-probe', MODEL_PROBE_INTERVAL_MS, async () => (availability.down ? model.probe!() : undefined));
  }

  /** The worker settled a message as "retry later". */
  retryLater(conversationKey: string): void {
    this.waiting.add(conversationKey);
  }

  /** A new message arrived: if the model answers, an older one waiting in its conversation goes now. */
  async arrived(conversationKey: string): Promise<void> {
    if (!this.waiting.has(conversationKey) || this.options.model.availability?.down) return;
    this.waiting.delete(conversationKey);
    await this.options.journal.retryWaitingNow(conversationKey);
  }

  private async retryNow(): Promise<void> {
    this.waiting.clear();
    try {
      const count = await this.options.journal.retryWaitingNow();
      if (count) this.options.log.info({ count }, 'the model answers again; retrying the messages that waited for it now');
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not bring waiting messages forward; they are retried at their set time');
    }
    this.options.wake();
  }
}
