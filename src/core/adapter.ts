import type { InboundMessage, OutboundMessage, SentMessage, ConversationRef } from './message.ts';
import type { Logger } from './logger.ts';
import type { SetAsideEvent } from './set-aside.ts';

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

/**
 * What happened to an inbound event handed to the pipeline. 'dropped': not stored at all (an
 * unknown account's chatter or flood); like the others, the adapter acknowledges it.
 */
export type ReceiveOutcome = 'accepted' | 'duplicate' | 'dropped';

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
  /**
   * For events anyone can repeat (a wrong webhook secret): who caused it (client address).
   * Repeats from one source are then counted in one record per window, not recorded one by one.
   */
  source?: string;
}

export interface BotCommand {
  name: string;
  description: string;
}

/** A connection only one Hearth process may run at a time (a polling loop, a gateway session). */
export interface ExclusiveConnection {
  start(): Promise<void>;
  stop(): Promise<void>;
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
  /**
   * Records an event that could not be taken in (see handOver in set-aside.ts); once it resolves
   * the adapter acknowledges the event to the platform and moves on.
   */
  setAside(event: SetAsideEvent): Promise<void>;
  /**
   * Runs a receiving connection in exactly one of the Hearth processes sharing a database:
   * started now if no other process holds it, else when its holder stops or dies; stopped if this
   * process loses it. Resolves after the first try. Absent (outside a gateway): just start it.
   */
  exclusive?(name: string, connection: ExclusiveConnection): Promise<void>;
}

/** A fetch-style handler the HTTP server mounts, for platforms that push events (webhooks). */
export interface WebhookRoute {
  method: 'POST';
  path: string;
  /** `client`: the caller's address as the HTTP server saw it ('unknown' when it cannot tell). */
  handle(request: Request, info?: { client: string }): Promise<Response>;
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
  /**
   * With ok false: worth knowing, but Hearth works (a sandbox switched off, a room it cannot
   * read). Shown as a warning; does not fail `hearth doctor`.
   */
  warning?: true;
}

export interface Adapter {
  readonly platform: string;
  readonly capabilities: AdapterCapabilities;
  start(context: AdapterContext): Promise<void>;
  stop(): Promise<void>;
  send(message: OutboundMessage): Promise<SentMessage>;
  edit?(conversation: ConversationRef, messageId: string, text: string): Promise<void>;
  sendTyping?(conversation: ConversationRef): Promise<void>;
  /**
   * Deletes a message someone sent (one that carried a password). Absent where the platform
   * cannot; throws a Platform*Error where it refuses (Discord never lets a bot delete in a DM).
   */
  deleteMessage?(conversation: ConversationRef, messageId: string): Promise<void>;
  /** Connection state for /readyz. */
  health(): HealthReport;
  /**
   * A direct conversation with an account this platform knows, opened if need be, so Hearth can
   * reach a person who never wrote first (a reminder, an approval request). Absent when the
   * platform cannot do it; throws a Platform*Error when the platform refuses.
   */
  openDirect?(accountId: string): Promise<ConversationRef>;
  /** Credential and connectivity checks for `hearth doctor`; must not start receiving. */
  doctor?(): Promise<DoctorCheck[]>;
  webhook?: WebhookRoute;
  /**
   * The whole adapter is one connection only one Hearth process may run (a gateway session or
   * a sync loop with its own device keys): when several processes share a database, only the one
   * holding it starts the adapter, answers its turns and sends its replies.
   */
  readonly exclusive?: boolean;
}

export type { InboundMessage, OutboundMessage, SentMessage, ConversationRef };
