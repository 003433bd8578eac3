/**
 * The normalized message every adapter produces. Nothing after the adapter knows which
 * platform a message came from except through these fields and the adapter's capabilities.
 */

export type ConversationKind = 'direct' | 'group';

/** Where a message lives: enough for the adapter to send a reply to the same place. */
export interface ConversationRef {
  /** Platform conversation id: Telegram chat id, Discord channel id, Matrix room id. */
  id: string;
  kind: ConversationKind;
  /** Thread / forum topic inside the conversation, when the platform has them. */
  threadId?: string;
  /** Human-readable name of the room, for logs and `hearth doctor` only. */
  title?: string;
}

export interface Sender {
  /** The platform's stable account id (never a username, which can change). */
  accountId: string;
  displayName: string;
}

export interface Attachment {
  kind: 'image' | 'file' | 'audio' | 'video' | 'sticker' | 'other';
  /** Platform reference (file id, mxc:// URI, CDN URL); Hearth keeps metadata, not bytes. */
  ref: string;
  name?: string;
  mimeType?: string;
  sizeBytes?: number;
}

export interface ReplyReference {
  /** Platform id of the message being replied to. */
  messageId: string;
  /** True when that message was sent by this bot: replying to the bot addresses it. */
  toBot: boolean;
}

export interface InboundMessage {
  platform: string;
  /** Unique per platform and stable across redeliveries: the journal's dedupe key. */
  eventId: string;
  /** Platform message id, used to quote/reference the message in the reply. */
  messageId: string;
  conversation: ConversationRef;
  sender: Sender;
  /** Text the model should see: bot mention markup stripped, other mentions made readable. */
  text: string;
  /** The bot was explicitly addressed (mention, pill, reply to the bot, command to the bot). */
  mentionsBot: boolean;
  replyTo?: ReplyReference;
  attachments: Attachment[];
  /** When the platform says the message was sent (ISO 8601). */
  sentAt: string;
}

/** A reply as the pipeline hands it to an adapter: markdown text, rendered by the adapter. */
export interface OutboundMessage {
  conversation: ConversationRef;
  /** Markdown (CommonMark subset); each adapter renders it for its platform. */
  text: string;
  /** Platform message id this reply answers, so the platform can quote/reference it. */
  replyToMessageId?: string;
  /** The person being answered: the only user an adapter may ping (Discord allowed_mentions). */
  addressee?: Sender;
  /** A word while the answer is still coming ("still thinking"), not the answer itself. */
  interim?: boolean;
  /**
   * The same for every attempt to send this message, also after a crash and restart, and never
   * reused for another message. Platforms that can deduplicate a send (Matrix transaction ids,
   * Discord nonces) pass it on, so a send whose success was not recorded is not shown twice.
   */
  idempotencyKey?: string;
}

export interface SentMessage {
  messageId: string;
}
