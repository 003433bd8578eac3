/**
 * The turn worker: claims journaled messages (as many at once as concurrency allows), runs each
 * through the stages, and settles it — the outcome and the replies it produced written in one
 * statement, then handed to the outbox. A turn that fails is retried later with a growing pause.
 */
import type { Adapter } from '../core/index.ts';
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Clock } from './clock.ts';
import { outcomeOf, type TurnContext } from './context.ts';
import type { Journal, JournalEntry, OutboxRow, Settled } from './journal.ts';
import { Outbox, outboxRows, type ClaimedRow } from './outbox.ts';
import { withAttachmentNote } from './attachments.ts';
import { isDatabaseUnavailable, releaseWhenDatabaseIsBack } from './database-failure.ts';

const MAX_RETRY_DELAY_MS = 10 * 60_000;
/** At stop, past the grace: how long a message already being sent may take to finish. */
const SEND_FINISH_MS = 2_000;

/** Resolves when all the promises have settled or after `ms`, whichever comes first. */
async function settledWithin(work: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(work), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export const GAVE_UP = "I'm sorry — I tried several times and still couldn't answer that message. Please ask me again later.";

export interface WorkerOptions {
  config: Config;
  database: Database;
  journal: Journal;
  outbox: Outbox;
  adapters: Map<string, Adapter>;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
  leaseMs: number;
  /** The composed stages. */
  run(turn: TurnContext): Promise<void>;
  /** Told when a message was set to be retried later (model recovery brings it forward). */
  onRetryLater?(conversationKey: string): void;
  /**
   * Other processes journal and claim messages in the same database: a turn's end then always
   * looks for more, since what waited for its conversation may have arrived through another process.
   */
  shared?: boolean;
}

export class TurnWorker {
  private readonly options: WorkerOptions;
  private readonly active = new Set<Promise<void>>();
  /** Deliveries started outside a turn (due retries, notices): stop waits for them too. */
  private readonly delivering = new Set<Promise<void>>();
  private pumping = false;
  private pumpAgain = false;
  /**
   * wake() calls so far, and their count when the latest claim was sent. A wake reports something
   * already written (an arrival, a turn's end), so a claim sent after it sees it: a wake that came
   * while pumping needs another pump only if no claim was sent after it.
   */
  private wakes = 0;
  private wakesBeforeLastClaim = 0;
  /** The next pump also looks for replies due in any conversation (see wake). */
  private outboxDue = true;
  /** The last pump stopped for lack of free slots: a turn's end may find entries waiting. */
  private slotsFull = false;
  /** Slots held for arrivals being journaled and claimed in one statement (reserveSlot). */
  private reserved = 0;
  private stopped = true;

  constructor(options: WorkerOptions) {
    this.options = options;
  }

  get busy(): boolean {
    return this.active.size > 0 || this.pumping || this.delivering.size > 0 || this.reserved > 0;
  }

  private get freeSlots(): number {
    return this.options.config.agent.concurrency - this.active.size - this.reserved;
  }

  /**
   * Holds a free slot for a message about to be journaled and claimed in the same statement
   * (Journal.addFromKnown with `claim`), which saves its turn a claim of its own. Not when other
   * processes share the journal (that statement is exact only for one), nor while stopping.
   * Every reservation ends with startClaimed.
   */
  reserveSlot(): boolean {
    if (this.stopped || this.options.shared || this.freeSlots < 1) return false;
    this.reserved++;
    return true;
  }

  /**
   * Ends a reservation: runs the entry claimed with it. Without one (its conversation was busy,
   * the sender unknown, a redelivery) the arrival's own wake claims as usual. Stopping, a claimed
   * entry is left as it is: the next start hands every claim back.
   */
  startClaimed(entry: JournalEntry | undefined): void {
    this.reserved--;
    if (entry && !this.stopped) return this.run(entry);
    // A claim that found no free slot meanwhile may have missed this one.
    if (this.slotsFull) this.wake();
  }

  start(): void {
    this.stopped = false;
    this.options.outbox.start();
    this.wake();
  }

  /**
   * Starts as many turns as concurrency allows; safe to call any time. With `outbox`, also sends
   * replies that are due in any conversation (retries, rows queued by another process): the poll
   * asks for that, while a message arriving or a turn ending only needs turns claimed — every
   * turn delivers its own replies, so looking through the outbox then would be a wasted statement.
   */
  wake(options: { outbox?: boolean } = {}): void {
    if (this.stopped) return;
    this.wakes++;
    if (options.outbox) this.outboxDue = true;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pump()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'could not read the journal; will try again'))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          if (this.wakes > this.wakesBeforeLastClaim || this.outboxDue) this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    const { journal, outbox, adapters, config } = this.options;
    const platforms = [...adapters.keys()];
    // One statement claims an entry for every free slot; fewer than asked means none is left.
    this.slotsFull = true;
    while (!this.stopped && this.freeSlots > 0) {
      const free = this.freeSlots;
      this.wakesBeforeLastClaim = this.wakes;
      const entries = await journal.claim(platforms, free);
      for (const entry of entries) this.run(entry);
      if (entries.length < free) {
        this.slotsFull = false;
        break;
      }
    }
    if (!this.outboxDue) return;
    this.outboxDue = false;
    for (const key of await outbox.dueConversations()) void this.deliver(key);
  }

  private run(entry: JournalEntry): void {
    // A settled turn frees its slot and its conversation (its replies are sent after). A claim
    // then finds something only if the conversation had more waiting (the settle says), a claim
    // lacked slots, or another process journals too; otherwise every arrival's own claim has
    // taken what it could.
    const work = this.process(entry)
      .catch(() => true)
      .then((conversationWaits) => {
        this.active.delete(work);
        if (conversationWaits || this.slotsFull || this.options.shared) this.wake();
      });
    this.active.add(work);
  }

  async deliver(conversationKey: string, claimed?: ClaimedRow): Promise<void> {
    const run = this.options.outbox.deliver(conversationKey, claimed).catch((error: unknown) => {
      this.options.log.error({ err: error, conversation: conversationKey }, 'outbox delivery crashed; will retry');
    });
    this.delivering.add(run);
    try {
      await run;
    } finally {
      this.delivering.delete(run);
    }
  }

  /**
   * Runs and settles one turn, then starts sending its replies; true when more of its
   * conversation may be waiting. The slot is free once the turn is settled: sending is not model
   * work, and the outbox keeps each conversation's replies in order.
   */
  private async process(entry: JournalEntry): Promise<boolean> {
    const { adapters, config, journal, metrics, clock, leaseMs } = this.options;
    const adapter = adapters.get(entry.message.platform)!;
    const log = this.options.log.child({ platform: entry.message.platform, journalId: entry.id });
    const turn: TurnContext = {
      journalId: entry.id,
      attempt: entry.attempts,
      message: withAttachmentNote(entry.message),
      origin: entry.message.origin,
      conversationKey: entry.conversationKey,
      adapter,
      log,
      apologized: entry.apologized,
      now: clock.now(),
      timeZone: config.timezone,
      previewMessageId: entry.previewMessageId ?? undefined,
      claimedSender: entry.sender,
      replies: [],
    };
    const renew = setInterval(() => void journal.renew(entry.id).catch(() => {}), leaseMs / 3);
    try {
      await this.options.run(turn);
    } catch (error) {
      log.error({ err: error }, 'the pipeline failed on this message; will retry');
      metrics.errors.inc({ kind: 'pipeline' });
      turn.outcome = 'retry';
      turn.error = error as Error;
    } finally {
      clearInterval(renew);
    }
    if (turn.outcome === 'retry' && entry.attempts >= config.agent.maxAttempts) {
      turn.outcome = 'failed';
      turn.replies.push({ kind: 'notice', text: GAVE_UP });
    }
    const outcome = outcomeOf(turn);
    let settled: Settled;
    try {
      settled = await this.settle(entry, turn);
    } catch (error) {
      log.error({ err: error }, 'could not record the outcome of this message; it will be retried');
      // Retried as soon as the claim can be handed back (then claimed again at once); failing
      // that, when its lease runs out.
      return releaseWhenDatabaseIsBack(journal, entry.id, { leaseMs, log, stopped: () => this.stopped });
    }
    if (outcome === 'retry') this.options.onRetryLater?.(entry.conversationKey);
    const latencyMs = Date.now() - entry.receivedAt.getTime();
    metrics.messagesIn.inc({ platform: entry.message.platform, outcome });
    if (turn.modelStartedAt && outcome === 'done') metrics.agentLatency.observe({ platform: entry.message.platform }, latencyMs / 1000);
    log.info({ outcome, attempt: entry.attempts, latencyMs, replies: turn.replies.length }, 'message handled');
    void this.deliver(entry.conversationKey, settled.claimed);
    return settled.conversationWaits;
  }

  /** Writes the outcome, its replies and its history in one statement: all happen or none does. */
  private async settle(entry: JournalEntry, turn: TurnContext): Promise<Settled> {
    const { message } = entry;
    const outcome = outcomeOf(turn);
    // A turn the database cut short is retried at once: the database answers again, or this would fail.
    const delay = isDatabaseUnavailable(turn.error) ? 0 : Math.min(MAX_RETRY_DELAY_MS, this.options.config.agent.retryBaseMs * 2 ** (entry.attempts - 1));
    const retryAt = outcome === 'retry' ? new Date(Date.now() + delay) : undefined;
    const rows: OutboxRow[] = [];
    for (const reply of turn.replies) {
      rows.push(
        ...outboxRows(
          {
            journalId: entry.id,
            platform: message.platform,
            conversationKey: entry.conversationKey,
            conversation: message.conversation,
            kind: reply.kind,
            text: reply.text,
            replyToMessageId: message.conversation.kind === 'group' && !message.origin ? message.messageId : undefined,
            addressee: message.sender,
            editMessageId: reply.kind === 'reply' ? turn.previewMessageId : undefined,
          },
          turn.adapter.capabilities.maxMessageLength,
          rows.length,
        ),
      );
    }
    // One statement, not a transaction of several: the outcome and its replies, or neither.
    const history = (turn.history ?? []).map((line) => ({ ...line, conversationKey: entry.conversationKey, journalId: entry.id }));
    const extra = { retryAt, error: turn.error?.message, apologized: turn.replies.some((r) => r.kind === 'apology'), leaseFirstReply: this.options.outbox.leaseForNewReplies() };
    const settled = await this.options.journal.finish(entry, outcome, extra, rows, history);
    if (!settled.settled) turn.log.warn('another process took this message over meanwhile; its outcome stands');
    return settled;
  }

  /**
   * Stops claiming and waits up to `graceMs` for turns in progress and their replies to be sent.
   * After that the outbox finishes the message it is sending (briefly awaited) and starts no
   * other. A turn still running keeps its journal claim and is answered again after the next start.
   */
  async stop(graceMs: number): Promise<number> {
    this.stopped = true;
    await settledWithin([...this.active, ...this.delivering], graceMs);
    this.options.outbox.stop();
    await settledWithin([...this.delivering], SEND_FINISH_MS);
    return this.active.size;
  }
}
