import type { InboundMessage, OutboundMessage, SentMessage, ConversationRef } from './message.ts';
import type { Logger } from './logger.ts';

/** How an adapter's platform differs; the pipeline adapts to these instead of to platform names. */
export interface AdapterCapabilities {
  /** Hard limit of one message, in characters as the platform counts them. */
  maxMessageLength: number;
  /** What the adapter's render step turns markdown into; informs the prompt's formatting hint. */
  markdown: 'plain' | 'telegram-html' | 'discord' | 'matrix-html';
  canEdit: boolean;
  hasTyping: boolean;
  hasThreads: boolean;
  /** How long one typing notification lasts on this platform, so the outbox can refresh it. */
  typingRefreshMs?: number;
  /** Minimum gap between streaming edits of one message (platform edit rate limits). */
  minEditIntervalMs?: number;
}

/** What happened to an inbound event handed to the pipeline. */
export type ReceiveOutcome = 'accepted' | 'duplicate';

/** Small durable key/value store per adapter: polling offsets, sync tokens, registered commands. */
export interface AdapterState {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

/** A security-relevant event an adapter saw (bad webhook secret, declined invite). */
export interface AdapterAuditEvent {
  kind: string;
  subject?: string;
  detail?: Record<string, unknown>;
}

export interface BotCommand {
  name: string;
  description: string;
}

export interface AdapterContext {
  /**
   * Hand an event to the pipeline. Resolves once it is durably journaled: an adapter may then
   * acknowledge it to the platform (advance an offset, store a sync token).
   */
  receive(message: InboundMessage): Promise<ReceiveOutcome>;
  state: AdapterState;
  log: Logger;
  audit(event: AdapterAuditEvent): Promise<void>;
  /** Is this account known to Hearth (for invite acceptance and similar decisions)? */
  isKnownAccount(accountId: string): Promise<boolean>;
  /** Chat commands Hearth understands, for platforms that register them (Telegram). */
  commands: BotCommand[];
}

/** A fetch-style handler the HTTP server mounts, for platforms that push events (webhooks). */
export interface WebhookRoute {
  method: 'POST';
  path: string;
  handle(request: Request): Promise<Response>;
}

export interface HealthReport {
  ok: boolean;
  detail: string;
}

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
}

export interface Adapter {
  readonly platform: string;
  readonly capabilities: AdapterCapabilities;
  start(context: AdapterContext): Promise<void>;
  stop(): Promise<void>;
  send(message: OutboundMessage): Promise<SentMessage>;
  edit?(conversation: ConversationRef, messageId: string, text: string): Promise<void>;
  sendTyping?(conversation: ConversationRef): Promise<void>;
  /** Connection state for /readyz. */
  health(): HealthReport;
  /** Credential and connectivity checks for `hearth doctor`; must not start receiving. */
  doctor?(): Promise<DoctorCheck[]>;
  webhook?: WebhookRoute;
}

export type { InboundMessage, OutboundMessage, SentMessage, ConversationRef };
