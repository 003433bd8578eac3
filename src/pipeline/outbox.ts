/**
 * Delivery. Replies are stored (one row per chunk) before they are sent, then sent in order per
 * conversation. A platform that cannot be reached or asks us to wait gets the same row again
 * later; one that rejects a message gets it logged and skipped so a conversation never jams.
 */
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { chunkMessage, isRetryablePlatformError, PlatformRateLimitedError, PlatformRejectedError, type Adapter, type ConversationRef, type Sender } from '../core/index.ts';
import type { Database } from '../db/client.ts';
import { outbox } from '../db/schema.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../http/metrics.ts';
import type { ReplyKind } from './context.ts';

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

/** Rows for one reply: chunked to the adapter's limit, the first one replacing the preview. */
export function outboxRows(reply: PendingReply, adapter: Adapter, seqStart = 0) {
  return chunkMessage(reply.text, adapter.capabilities.maxMessageLength).map((text, index) => ({
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

  constructor(database: Database, adapters: Map<string, Adapter>, log: Logger, metrics: Metrics, options: OutboxOptions) {
    this.database = database;
    this.adapters = adapters;
    this.log = log;
    this.metrics = metrics;
    this.options = options;
  }

  /** Delivers every due row of the conversation; concurrent calls share one run. */
  deliver(conversationKey: string): Promise<void> {
    const current = this.running.get(conversationKey);
    if (current) return current.then(() => this.deliver(conversationKey));
    const run = this.deliverConversation(conversationKey).finally(() => this.running.delete(conversationKey));
    this.running.set(conversationKey, run);
    return run;
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

  async pendingCount(): Promise<number> {
    const [row] = await this.database.rows<{ n: number }>(sql`select count(*)::int as n from outbox where status = 'pending'`);
    return Number(row?.n ?? 0);
  }

  private async deliverConversation(conversationKey: string): Promise<void> {
    for (;;) {
      const [row] = await this.database.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.conversationKey, conversationKey), eq(outbox.status, 'pending')))
        .orderBy(asc(outbox.id))
        .limit(1);
      if (!row || row.nextAttemptAt > new Date()) return; // nothing due; order means later rows wait too
      const adapter = this.adapters.get(row.platform);
      if (!adapter) return;
      const claimed = await this.database.db
        .update(outbox)
        .set({ nextAttemptAt: new Date(Date.now() + this.options.claimMs), attempts: row.attempts + 1 })
        .where(and(eq(outbox.id, row.id), eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, new Date())))
        .returning({ id: outbox.id });
      if (claimed.length === 0) return; // another process took it

      try {
        const sentMessageId = await this.sendRow(adapter, row);
        await this.database.db.update(outbox).set({ status: 'sent', sentMessageId, sentAt: new Date(), lastError: null }).where(eq(outbox.id, row.id));
        this.metrics.messagesOut.inc({ platform: row.platform, kind: row.kind });
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
      }
    }
  }

  private async sendRow(adapter: Adapter, row: typeof outbox.$inferSelect): Promise<string> {
    const conversation = row.conversation as ConversationRef;
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
      addressee: (row.addressee as Sender | null) ?? undefined,
    });
    return sent.messageId;
  }
}
