/**
 * An in-process adapter for pipeline tests: messages are injected directly and everything the
 * pipeline does to the "platform" (sends, edits, typing) is recorded.
 */
import { assertTestLive } from './test-scope.ts';
import type { Adapter, AdapterCapabilities, AdapterContext, ConversationRef, InboundMessage, OutboundMessage, Sender } from '../../src/core/index.ts';

export interface RecordedMessage {
  messageId: string;
  conversation: ConversationRef;
  text: string;
  replyToMessageId?: string;
  /** Who the message addresses (the one account a platform may mention). */
  addressee?: Sender;
  edits: string[];
}

export interface TestAdapter extends Adapter {
  sent: RecordedMessage[];
  typing: number;
  /** Message ids Hearth deleted (a message that carried a password). */
  deleted: string[];
  context?: AdapterContext;
  /** Fail the next sends with these errors, in order. */
  failNextSends: Error[];
  inject(message: Partial<InboundMessage> & { text: string }): Promise<string>;
}

let counter = 0;

export function createTestAdapter(platform = 'test', capabilities: Partial<AdapterCapabilities> = {}): TestAdapter {
  const adapter: TestAdapter = {
    platform,
    capabilities: { maxMessageLength: 2000, markdown: 'plain', canEdit: true, hasTyping: true, hasThreads: false, typingRefreshMs: 50, minEditIntervalMs: 20, ...capabilities },
    sent: [],
    typing: 0,
    deleted: [],
    failNextSends: [],
    async start(context) {
      adapter.context = context;
    },
    async stop() {},
    async send(message: OutboundMessage) {
      const failure = adapter.failNextSends.shift();
      if (failure) throw failure;
      const messageId = `m${++counter}`;
      adapter.sent.push({ messageId, conversation: message.conversation, text: message.text, replyToMessageId: message.replyToMessageId, addressee: message.addressee, edits: [] });
      return { messageId };
    },
    async edit(_conversation, messageId, text) {
      const message = adapter.sent.find((m) => m.messageId === messageId);
      if (!message) throw new Error(`edit of unknown message ${messageId}`);
      message.edits.push(text);
      message.text = text;
    },
    async sendTyping() {
      adapter.typing++;
    },
    async deleteMessage(_conversation, messageId) {
      adapter.deleted.push(messageId);
    },
    health: () => ({ ok: true, detail: 'test adapter' }),
    async inject(partial) {
      assertTestLive('inject a message');
      const eventId = partial.eventId ?? `e${++counter}`;
      const message: InboundMessage = {
        platform,
        eventId,
        messageId: partial.messageId ?? eventId,
        conversation: partial.conversation ?? { id: 'dm-1', kind: 'direct' },
        sender: partial.sender ?? { accountId: 'owner-1', displayName: 'Olive' },
        mentionsBot: partial.mentionsBot ?? false,
        attachments: [],
        sentAt: new Date().toISOString(),
        ...partial,
      };
      if (!adapter.context) throw new Error('the test adapter was not started');
      await adapter.context.receive(message);
      return eventId;
    },
  };
  if (!capabilities.canEdit && capabilities.canEdit !== undefined) delete adapter.edit;
  if (!capabilities.hasTyping && capabilities.hasTyping !== undefined) delete adapter.sendTyping;
  return adapter;
}
