/**
 * Everything the bot sends: replies (with `m.relates_to`), edits, typing notifications, notices.
 * Rate limits (M_LIMIT_EXCEEDED + retry_after_ms / Retry-After) are waited out here so the message
 * is still delivered; every retry reuses the transaction id, so the homeserver deduplicates a send
 * whose answer was lost (https://spec.matrix.org/v1.13/client-server-api/#transaction-identifiers).
 */
import { randomUUID } from 'node:crypto';
import { Method, type Direction, type MatrixClient } from 'matrix-js-sdk';
import {
  chunkMessage,
  PlatformRateLimitedError,
  PlatformRejectedError,
  PlatformUnreachableError,
  type ConversationRef,
  type Logger,
  type OutboundMessage,
  type SentMessage,
} from '../../src/core/index.ts';
import { PLATFORM, sleep, toPlatformError } from './errors.ts';
import { contentBytes, editContent, messageContent, plainContent, type MessageContent } from './render.ts';
import type { Content } from './wire.ts';

/**
 * The homeserver refuses events over 65,536 bytes (whole event, signatures included); leave
 * room for the envelope. https://spec.matrix.org/v1.13/client-server-api/#size-limits
 */
export const CONTENT_BUDGET_BYTES = 56 * 1024;
/** How long one typing notification lasts; the outbox refreshes it before it runs out. */
export const TYPING_TIMEOUT_MS = 30_000;

export interface OutgoingOptions {
  client: MatrixClient;
  ownUserId: string;
  log: Logger;
  /** Longest total wait for rate limits inside one call before giving the outbox the error. */
  maxRetryWaitMs: number;
  /** First backoff after a network failure or 5xx. */
  backoffInitialMs: number;
  signal: AbortSignal;
  /**
   * The wire form of an event: encrypted in an end-to-end encrypted room (crypto.ts). Throws
   * rather than return plaintext for an encrypted room.
   */
  wire(roomId: string, type: string, content: Content, txnId: string): Promise<{ type: string; content: Content }>;
}

export class Outgoing {
  private readonly options: OutgoingOptions;
  /** Transaction ids of sends that failed, so a retry of the same content reuses them. */
  private readonly pendingTxn = new Map<string, { txnId: string; at: number }>();
  /** Event ids the bot sent (bounded), to recognise replies to the bot without a lookup. */
  private readonly own = new Map<string, true>();
  private readonly typingRooms = new Set<string>();

  constructor(options: OutgoingOptions) {
    this.options = options;
  }

  rememberOwn(eventId: string): void {
    this.own.set(eventId, true);
    if (this.own.size > 2_000) this.own.delete(this.own.keys().next().value!);
  }

  /** Was this event sent by the bot? Asks the homeserver for events from before this process. */
  async isOwn(roomId: string, eventId: string): Promise<boolean> {
    if (this.own.has(eventId)) return true;
    try {
      const event = await this.options.client.fetchRoomEvent(roomId, eventId);
      if (event.sender === this.options.ownUserId) this.rememberOwn(eventId);
      return event.sender === this.options.ownUserId;
    } catch (raw) {
      const error = toPlatformError(raw, 'look up replied-to event');
      if (error instanceof PlatformRejectedError) return false; // gone, or not visible to the bot
      throw error;
    }
  }

  private async withRetry<T>(what: string, call: () => Promise<T>): Promise<T> {
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (raw) {
        const error = toPlatformError(raw, what);
        if (this.options.signal.aborted) throw error;
        let delay: number | undefined;
        if (error instanceof PlatformRateLimitedError && waited + error.retryAfterMs <= this.options.maxRetryWaitMs) {
          delay = error.retryAfterMs;
          this.options.log.info({ retryAfterMs: delay }, `matrix: rate limited on ${what}; waiting as the homeserver asked`);
        } else if (error instanceof PlatformUnreachableError && attempt < 3) {
          delay = this.options.backoffInitialMs * 2 ** (attempt - 1);
          this.options.log.warn({ attempt }, `matrix: ${error.message}; retrying`);
        }
        if (delay === undefined) throw error;
        waited += delay;
        await sleep(delay, this.options.signal);
      }
    }
  }

  /**
   * Sends one event; retries (also by the outbox, later) reuse the transaction id. With a stable
   * id from the caller, a resend after a crash is deduplicated by the homeserver too.
   */
  async sendEvent(roomId: string, type: string, content: Content, stableTxnId?: string): Promise<string> {
    const key = `${roomId}\n${type}\n${JSON.stringify(content)}`;
    const now = Date.now();
    for (const [k, v] of this.pendingTxn) if (now - v.at > 15 * 60_000) this.pendingTxn.delete(k);
    const txnId = stableTxnId ?? this.pendingTxn.get(key)?.txnId ?? `hearth.${randomUUID()}`;
    this.pendingTxn.set(key, { txnId, at: now });
    const { client, wire } = this.options;
    // Each attempt encrypts anew (a Megolm index is never reused); the transaction id stays, so
    // the homeserver still deduplicates a retry whose answer was lost.
    const response = await this.withRetry(`send ${type}`, async () => {
      const event = await wire(roomId, type, structuredClone(content), txnId);
      const path = `/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(event.type)}/${encodeURIComponent(txnId)}`;
      return client.http.authedRequest<{ event_id: string }>(Method.Put, path, undefined, event.content);
    });
    this.pendingTxn.delete(key);
    this.rememberOwn(response.event_id);
    return response.event_id;
  }

  async send(message: OutboundMessage): Promise<SentMessage> {
    const { conversation } = message;
    let first: string | undefined;
    let part = 0;
    for (const content of fitting(message.text, messageContent, plainContent)) {
      // Only the first event of a split answer quotes the question and mentions its author.
      if (first === undefined) {
        const relates = relatesTo(conversation, message.replyToMessageId);
        if (relates) content['m.relates_to'] = relates;
        const mentioned = message.replyToMessageId && message.addressee ? [message.addressee.accountId] : [];
        content['m.mentions'] = { user_ids: mentioned };
      } else {
        const relates = relatesTo(conversation, undefined);
        if (relates) content['m.relates_to'] = relates;
        content['m.mentions'] = {};
      }
      const txnId = message.idempotencyKey ? `hearth.${message.idempotencyKey}.${part++}` : undefined;
      const eventId = await this.sendEvent(conversation.id, 'm.room.message', content, txnId);
      first ??= eventId;
    }
    if (first === undefined) throw new PlatformRejectedError(PLATFORM, 'refusing to send an empty message');
    this.stopTyping(conversation.id);
    return { messageId: first };
  }

  async edit(conversation: ConversationRef, messageId: string, text: string): Promise<void> {
    let content = editContent(messageId, messageContent(text));
    if (contentBytes(content) > CONTENT_BUDGET_BYTES) content = editContent(messageId, plainContent(text));
    if (contentBytes(content) > CONTENT_BUDGET_BYTES) {
      throw new PlatformRejectedError(PLATFORM, `edit of ${contentBytes(content)} bytes exceeds the 64 KiB event limit`, 413);
    }
    content['m.mentions'] = {}; // an edit must not ping anyone again
    await this.sendEvent(conversation.id, 'm.room.message', content);
    this.stopTyping(conversation.id);
  }

  /** Redacts an event (a message that carried a password); needs the power level to redact others' events. */
  async redact(conversation: ConversationRef, eventId: string): Promise<void> {
    try {
      await this.options.client.redactEvent(conversation.id, eventId, undefined, { reason: 'held a password' });
    } catch (raw) {
      throw toPlatformError(raw, 'redact');
    }
  }

  /** Typing is cosmetic: failures are logged, never thrown at the outbox (except bad config). */
  async typing(conversation: ConversationRef): Promise<void> {
    try {
      await this.options.client.sendTyping(conversation.id, true, TYPING_TIMEOUT_MS);
      this.typingRooms.add(conversation.id);
    } catch (raw) {
      const error = toPlatformError(raw, 'typing');
      if (!(error instanceof PlatformRejectedError || error instanceof PlatformUnreachableError || error instanceof PlatformRateLimitedError)) throw error;
      this.options.log.debug({ err: error.message }, 'matrix: typing notification failed');
    }
  }

  /** Matrix keeps "typing…" until its timeout even after the message lands; clear it. */
  private stopTyping(roomId: string): void {
    if (!this.typingRooms.delete(roomId)) return;
    this.options.client.sendTyping(roomId, false, 0).catch(() => {});
  }

  /** A plain notice from the adapter itself (not from the model), e.g. the encryption warning. */
  async notice(roomId: string, text: string, replyTo?: string): Promise<void> {
    const content: Content = { msgtype: 'm.notice', body: text, 'm.mentions': {} };
    if (replyTo) content['m.relates_to'] = { 'm.in_reply_to': { event_id: replyTo } };
    await this.sendEvent(roomId, 'm.room.message', content);
  }

  /** A page of a room's timeline, for filling a gap after a long outage. */
  async history(roomId: string, from: string, limit: number, direction: Direction) {
    return this.withRetry('fetch history', () => this.options.client.createMessagesRequest(roomId, from, limit, direction));
  }
}

/**
 * Replies carry `m.in_reply_to`; in a thread, the thread relation too (is_falling_back when the
 * event is not a real reply), so clients show the answer inside the thread.
 * https://spec.matrix.org/v1.13/client-server-api/#threading
 */
export function relatesTo(conversation: ConversationRef, replyTo: string | undefined): Content | undefined {
  if (conversation.threadId) {
    return {
      rel_type: 'm.thread',
      event_id: conversation.threadId,
      is_falling_back: replyTo === undefined,
      'm.in_reply_to': { event_id: replyTo ?? conversation.threadId },
    };
  }
  return replyTo ? { 'm.in_reply_to': { event_id: replyTo } } : undefined;
}

/**
 * The message as events that each fit the size limit: formatted if it fits, plain if only that
 * fits, split in halves as a last resort (pathological text: 4-byte characters, heavy escaping).
 */
export function fitting(
  text: string,
  formatted: (text: string) => MessageContent,
  plain: (text: string) => MessageContent,
): MessageContent[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const rich = formatted(trimmed);
  if (contentBytes(rich) <= CONTENT_BUDGET_BYTES - 1024) return [rich];
  const bare = plain(trimmed);
  if (contentBytes(bare) <= CONTENT_BUDGET_BYTES - 1024) return [bare];
  return chunkMessage(trimmed, Math.max(16, Math.floor(trimmed.length / 2))).flatMap((piece) => fitting(piece, formatted, plain));
}
