/**
 * What the person sees while the model works: a typing indicator refreshed before it expires
 * and, on platforms that can edit, one message that grows as the answer streams in — edited at
 * most once per the platform's edit interval. Failures here are cosmetic and never fail the turn.
 */
import type { Adapter, ConversationRef, Sender } from '../core/index.ts';
import type { Logger } from '../log.ts';

export interface LiveReplyOptions {
  adapter: Adapter;
  conversation: ConversationRef;
  replyToMessageId?: string;
  /** The person being answered: the preview may notify them, nobody else. */
  addressee?: Sender;
  streaming: boolean;
  log: Logger;
  /** Called once the preview message exists, so a restart can replace it instead of duplicating. */
  onPreview(messageId: string): Promise<void>;
  existingPreviewId?: string;
}

/** Below this many characters a preview is more flicker than help. */
const MIN_PREVIEW_CHARS = 40;

export class LiveReply {
  private readonly options: LiveReplyOptions;
  private typingTimer: NodeJS.Timeout | undefined;
  private text = '';
  private step = 0;
  private lastShown = 0;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  previewMessageId: string | undefined;

  constructor(options: LiveReplyOptions) {
    this.options = options;
    this.previewMessageId = options.existingPreviewId;
  }

  start(): void {
    const { adapter } = this.options;
    if (!adapter.capabilities.hasTyping || !adapter.sendTyping) return;
    const refresh = () => {
      adapter.sendTyping!(this.options.conversation).catch((error: unknown) => this.options.log.debug({ err: error }, 'typing indicator failed'));
    };
    refresh();
    this.typingTimer = setInterval(refresh, adapter.capabilities.typingRefreshMs ?? 5_000);
  }

  onText(delta: string, step: number): void {
    if (step !== this.step) {
      this.step = step;
      this.text = '';
    }
    this.text += delta;
    const { adapter, streaming } = this.options;
    if (!streaming || !adapter.capabilities.canEdit || this.stopped || this.inFlight) return;
    if (this.text.trim().length < MIN_PREVIEW_CHARS) return;
    if (Date.now() - this.lastShown < (adapter.capabilities.minEditIntervalMs ?? 1_000)) return;
    this.inFlight = this.show().finally(() => (this.inFlight = undefined));
  }

  private async show(): Promise<void> {
    const { adapter, conversation } = this.options;
    const limit = adapter.capabilities.maxMessageLength;
    const preview = this.text.length + 2 > limit ? `${this.text.slice(0, limit - 2)} …` : `${this.text} …`;
    this.lastShown = Date.now();
    try {
      if (!this.previewMessageId) {
        const sent = await adapter.send({ conversation, text: preview, replyToMessageId: this.options.replyToMessageId, addressee: this.options.addressee });
        this.previewMessageId = sent.messageId;
        await this.options.onPreview(sent.messageId);
      } else {
        await adapter.edit!(conversation, this.previewMessageId, preview);
      }
    } catch (error) {
      this.options.log.debug({ err: error }, 'streaming preview update failed');
    }
  }

  /**
   * Tells the person the answer is still coming. Where messages can be edited the word becomes
   * the message the answer later replaces; elsewhere it is a message of its own, marked interim.
   */
  async notice(text: string): Promise<void> {
    if (this.stopped) return;
    const { adapter, conversation } = this.options;
    try {
      if (adapter.capabilities.canEdit && adapter.edit) {
        if (this.previewMessageId) return void (await adapter.edit(conversation, this.previewMessageId, text));
        const sent = await adapter.send({ conversation, text, replyToMessageId: this.options.replyToMessageId, addressee: this.options.addressee });
        this.previewMessageId = sent.messageId;
        await this.options.onPreview(sent.messageId);
      } else {
        await adapter.send({ conversation, text, replyToMessageId: this.options.replyToMessageId, addressee: this.options.addressee, interim: true });
      }
    } catch (error) {
      this.options.log.debug({ err: error }, 'could not send the still-thinking notice');
    }
  }

  /** Stops typing and waits for a preview update in flight, so the final edit lands last. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.typingTimer);
    await this.inFlight;
  }
}
