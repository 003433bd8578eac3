/**
 * Delivery. Replies are stored (one row per chunk) before they are sent, then sent in order per
 * conversation. A platform that cannot be reached or asks us to wait gets the same row again
 * later; one that rejects a message gets it logged and skipped so a conversation never jams.
 */
import { and, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { chunkMessage, isRetryablePlatformError, PlatformRateLimitedError, PlatformRejectedError, type Adapter, type ConversationRef, type Sender } from '../core/index.ts';
import type { Database } from '../db/client.ts';
import { outbox } from '../db/schema.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../http/metrics.ts';
import { conversationKeyOf, type ReplyKind } from './context.ts';

export interface PendingReply {
  journalId: number | null;
  platform: string;
  conversationKey: string;
  conversation: ConversationRef;
  kind: ReplyKind;
  text: string;
  replyToMessageId?: string;
  addressee?: Sender;
  /** The streaming preview to replace with the first chunk. */
  editMessageId?: string;
}

/** Rows for one reply: chunked to the platform's limit, the first one replacing the preview. */
export function outboxRows(reply: PendingReply, maxMessageLength: number, seqStart = 0) {
  return chunkMessage(reply.text, maxMessageLength).map((text, index) => ({
    journalId: reply.journalId,
    platform: reply.platform,
    conversationKey: reply.conversationKey,
    conversation: reply.conversation,
    kind: reply.kind,
    seq: seqStart + index,
    text,
    // Only the first chunk quotes the question; quoting every chunk reads as noise.
    replyToMessageId: index === 0 ? (reply.replyToMessageId ?? null) : null,
    addressee: reply.addressee ?? null,
    editMessageId: index === 0 ? (reply.editMessageId ?? null) : null,
  }));
}

/** Without a connected adapter (the CLI on a shared database), notices are cut at a length every platform takes. */
const SAFE_MESSAGE_LENGTH = 2000;

/**
 * Queues a notice outside any turn (an approval request, a reminder). Whichever gateway serves the
 * platform delivers it; the caller may pass the adapter to chunk at its real limit.
 */
export async function queueNotice(database: Database, target: { platform: string; conversation: ConversationRef; text: string; addressee?: Sender }, adapter?: Adapter): Promise<string> {
  const conversationKey = conversationKeyOf(target);
  const limit = adapter?.capabilities.maxMessageLength ?? SAFE_MESSAGE_LENGTH;
  const rows = outboxRows({ journalId: null, platform: target.platform, conversationKey, conversation: target.conversation, kind: 'notice', text: target.text, addressee: target.addressee }, limit);
  if (rows.length) await database.db.insert(outbox).values(rows);
  return conversationKey;
}

/** A claimed outbox row: what sending it needs. */
export interface ClaimedRow {
  id: number;
  platform: string;
  kind: string;
  text: string;
  conversation: ConversationRef;
  replyToMessageId: string | null;
  addressee: Sender | null;
  editMessageId: string | null;
  /** Before this claim. */
  attempts: number;
  createdAt: Date;
}

/** The columns a claim returns, parsed by claimedRowOf: the claim below and a turn's settle (Journal.finish) share them. */
export const CLAIMED_COLUMNS = sql.raw('id, platform, kind, text, conversation, reply_to_message_id, addressee, edit_message_id, attempts, created_at');

/** A claimed row as either driver returns it (json columns parsed or not, ids as strings or numbers). */
export function claimedRowOf(row: Record<string, unknown>): ClaimedRow {
  const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
  return {
    id: Number(row.id),
    platform: String(row.platform),
    kind: String(row.kind),
    text: String(row.text),
    conversation: json(row.conversation) as ConversationRef,
    replyToMessageId: (row.reply_to_message_id as string | null) ?? null,
    addressee: (json(row.addressee) as Sender | null) ?? null,
    editMessageId: (row.edit_message_id as string | null) ?? null,
    // The attempts as they were before this claim, as the retry arithmetic below expects.
    attempts: Number(row.attempts) - 1,
    createdAt: new Date(row.created_at as string | Date),
  };
}

/**
 * The lease a turn's settle stores its first reply with when nothing else of the conversation
 * is waiting to be sent: the reply is then this process's to send, without a claim of its own.
 */
export interface NewReplyLease {
  now: Date;
  until: Date;
}

/**
 * The row's id with its creation time: stable across attempts and restarts, and not reused by
 * a database restored from a backup (whose ids start again from where the backup was taken).
 * Short, as Discord takes nonces of at most 25 characters.
 */
function idempotencyKeyOf(row: { id: number; createdAt: Date }): string {
  return `h${row.id.toString(36)}.${row.createdAt.getTime().toString(36)}`;
}

export interface OutboxOptions {
  /** A claimed row is retried after this long if its sender died mid-send. */
  claimMs: number;
  retryBaseMs: number;
  maxAttempts: number;
}

export class Outbox {
  private readonly database: Database;
  private readonly adapters: Map<string, Adapter>;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly options: OutboxOptions;
  /** One delivery loop per conversation at a time, so chunks keep their order. */
  private readonly running = new Map<string, Promise<void>>();
  /** Set on shutdown: a message being sent is finished and recorded, no further one is started. */
  private stopping = false;

  constructor(database: Database, adapters: Map<string, Adapter>, log: Logger, metrics: Metrics, options: OutboxOptions) {
    this.database = database;
    this.adapters = adapters;
    this.log = log;
    this.metrics = metrics;
    this.options = options;
  }

  /**
   * Delivers every due row of the conversation; concurrent calls share one run. `claimed` is a
   * row this process already holds (stored with a lease by the turn's settle): it is sent first.
   */
  deliver(conversationKey: string, claimed?: ClaimedRow): Promise<void> {
    if (this.stopping) return claimed ? this.handBack(claimed) : Promise.resolve();
    const current = this.running.get(conversationKey);
    if (current) return current.then(() => this.deliver(conversationKey, claimed));
    const run = this.deliverConversation(conversationKey, claimed).finally(() => this.running.delete(conversationKey));
    this.running.set(conversationKey, run);
    return run;
  }

  start(): void {
    this.stopping = false;
  }

  /** The lease for a settling turn's first reply (see NewReplyLease); none while stopping. */
  leaseForNewReplies(): NewReplyLease | undefined {
    if (this.stopping) return undefined;
    const now = new Date();
    return { now, until: new Date(now.getTime() + this.options.claimMs) };
  }

  /** Hearth is stopping: record what is being sent, start nothing new (it waits for the next start). */
  stop(): void {
    this.stopping = true;
  }

  /** Conversations with something due on the platforms this process serves. */
  async dueConversations(): Promise<string[]> {
    const platforms = [...this.adapters.keys()];
    if (platforms.length === 0) return [];
    const rows = await this.database.db
      .selectDistinct({ key: outbox.conversationKey })
      .from(outbox)
      .where(and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, new Date()), inArray(outbox.platform, platforms)));
    return rows.map((r) => r.key);
  }

  /**
   * Every pending reply (of one platform) due at once: after a restart on the embedded database,
   * or when this process takes over a platform only one process may send on. A claim can then
   * only be from a run that died or let go (its send is resent, deduplicated where the platform
   * can), and a retry pause is better ended by the restart than waited out.
   */
  async resumeAll(platform?: string): Promise<number> {
    const pending = and(eq(outbox.status, 'pending'), gt(outbox.nextAttemptAt, new Date()), platform === undefined ? undefined : eq(outbox.platform, platform));
    const rows = await this.database.db.update(outbox).set({ nextAttemptAt: new Date() }).where(pending).returning({ id: outbox.id });
    return rows.length;
  }

  /** Is a reply due for sending now (idle checks for tests and shutdown)? */
  async hasDue(): Promise<boolean> {
    const rows = await this.database.rows<{ due: boolean }>(sql`select exists (select 1 from outbox where status = 'pending' and next_attempt_at <= now()) as due`);
    return Boolean(rows[0]?.due);
  }

  async pendingCount(): Promise<number> {
    const [row] = await this.database.rows<{ n: number }>(sql`select count(*)::int as n from outbox where status = 'pending'`);
    return Number(row?.n ?? 0);
  }

  /** Releases a claimed row unsent, due at once, its attempt not counted. */
  private async handBack(row: ClaimedRow): Promise<void> {
    await this.database.db.update(outbox).set({ nextAttemptAt: new Date(), attempts: row.attempts }).where(eq(outbox.id, row.id));
  }

  private async deliverConversation(conversationKey: string, claimed?: ClaimedRow): Promise<void> {
    let row = claimed ?? (await this.claimNext(conversationKey));
    while (row) {
      const adapter = this.adapters.get(row.platform);
      if (!adapter) {
        // Not served here (an exclusive platform this process stopped holding): hand it back.
        await this.handBack(row);
        return;
      }

      let sentMessageId: string;
      try {
        sentMessageId = await this.sendRow(adapter, row);
      } catch (error) {
        const attempts = row.attempts + 1;
        if (isRetryablePlatformError(error) && attempts < this.options.maxAttempts) {
          const wait = error instanceof PlatformRateLimitedError ? error.retryAfterMs : this.options.retryBaseMs * 2 ** (attempts - 1);
          this.log.warn({ platform: row.platform, conversation: conversationKey, attempts, retryInMs: wait, err: error }, 'delivery failed; will retry');
          await this.database.db.update(outbox).set({ nextAttemptAt: new Date(Date.now() + wait), lastError: (error as Error).message }).where(eq(outbox.id, row.id));
          this.metrics.errors.inc({ kind: 'delivery-retry' });
          return;
        }
        this.log.error({ platform: row.platform, conversation: conversationKey, err: error }, 'delivery failed for good; skipping this message');
        await this.database.db.update(outbox).set({ status: 'failed', lastError: (error as Error).message }).where(eq(outbox.id, row.id));
        this.metrics.errors.inc({ kind: 'delivery-failed' });
        row = await this.claimNext(conversationKey);
        continue;
      }
      this.metrics.messagesOut.inc({ platform: row.platform, kind: row.kind });
      row = await this.claimNext(conversationKey, { sent: row.id, sentMessageId });
    }
  }

  /**
   * Claims the conversation's oldest pending row if it is due, in one statement: the row comes
   * back with its attempts already counted. A row another process claimed meanwhile is not due
   * any more when the update re-checks it, so nothing is returned. With `sent`, the same
   * statement first marks that row sent, so each delivered row costs one round trip after it.
   * While stopping it only marks: the next row waits for the next start.
   */
  private async claimNext(conversationKey: string, sent?: { sent: number; sentMessageId: string }): Promise<ClaimedRow | undefined> {
    const now = new Date();
    const claimUntil = new Date(now.getTime() + this.options.claimMs);
    // The statement's snapshot still shows the row just marked sent as pending: it is skipped by id.
    const rows = await this.database.rows<Record<string, unknown>>(sql`
      ${sent ? sql`with sent as (update outbox set status = 'sent', sent_message_id = ${sent.sentMessageId}, sent_at = ${now.toISOString()}::timestamptz, last_error = null where id = ${sent.sent} returning id) ` : sql``}
      update outbox set next_attempt_at = ${claimUntil.toISOString()}::timestamptz, attempts = attempts + 1
      where id = (
          select o.id from outbox o
          where o.conversation_key = ${conversationKey} and o.status = 'pending' ${sent ? sql`and o.id <> ${sent.sent}` : sql``}
          order by o.id limit 1)
        and status = 'pending' and next_attempt_at <= ${now.toISOString()}::timestamptz and not ${this.stopping}::boolean
      returning ${CLAIMED_COLUMNS}`);
    return rows[0] && claimedRowOf(rows[0]);
  }

  private async sendRow(adapter: Adapter, row: ClaimedRow): Promise<string> {
    const { conversation } = row;
    if (row.editMessageId && adapter.edit) {
      try {
        await adapter.edit(conversation, row.editMessageId, row.text);
        return row.editMessageId;
      } catch (error) {
        // The preview may be gone (the person deleted it): the answer is sent as a new message instead.
        if (!(error instanceof PlatformRejectedError)) throw error;
        this.log.info({ platform: row.platform, err: error }, 'could not replace the streaming preview; sending the answer as a new message');
      }
    }
    const sent = await adapter.send({
      conversation,
      text: row.text,
      replyToMessageId: row.replyToMessageId ?? undefined,
      addressee: row.addressee ?? undefined,
      idempotencyKey: idempotencyKeyOf(row),
    });
    return sent.messageId;
  }
}
