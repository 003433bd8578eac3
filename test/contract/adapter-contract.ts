/**
 * The contract every adapter passes (after vercel/chat's shared suite): what the pipeline relies
 * on, checked through each platform's protocol stand-in and real client library.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter, AdapterContext, InboundMessage, ReceiveOutcome, SetAsideEvent } from '../../src/core/index.ts';
import { silentLogger } from '../helpers/silent-logger.ts';
import { eventually } from '../helpers/eventually.ts';
import { scaled } from '../helpers/time-scale.ts';

export interface PlatformSentMessage {
  conversationId: string;
  messageId: string;
  text: string;
}

export interface ContractFixture {
  adapter: Adapter;
  /** Make the platform deliver a message from a (known) person in a direct conversation. */
  injectDirectMessage(text: string): Promise<void>;
  /** Make the platform deliver a message authored by the bot's own account. */
  injectOwnMessage(text: string): Promise<void>;
  /** What the platform received from the bot, in order, as the platform stores it (edits applied). */
  sent(): Promise<PlatformSentMessage[]>;
  /** How many typing notifications the platform received. */
  typingCount(): Promise<number>;
  /** The platform deduplicates sends by a key (Matrix transaction ids, Discord nonces). */
  deduplicatesSends?: boolean;
  teardown(): Promise<void>;
}

/** An AdapterContext that records what reaches the pipeline, without a pipeline. */
export function recordingContext(): AdapterContext & { received: InboundMessage[]; setAsideEvents: SetAsideEvent[]; waitForMessage(): Promise<InboundMessage> } {
  const received: InboundMessage[] = [];
  const seen = new Set<string>();
  const state = new Map<string, unknown>();
  let waiters: Array<(m: InboundMessage) => void> = [];
  return {
    received,
    async receive(message): Promise<ReceiveOutcome> {
      if (seen.has(message.eventId)) return 'duplicate';
      seen.add(message.eventId);
      received.push(message);
      for (const resolve of waiters) resolve(message);
      waiters = [];
      return 'accepted';
    },
    waitForMessage() {
      return new Promise<InboundMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message reached the pipeline within ${scaled(5_000)} ms`)), scaled(5_000));
        waiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
    },
    state: {
      async get<T>(key: string) {
        return state.get(key) as T | undefined;
      },
      async set(key, value) {
        state.set(key, value);
      },
    },
    log: silentLogger,
    async audit() {},
    setAsideEvents: [] as SetAsideEvent[],
    async setAside(event: SetAsideEvent) {
      this.setAsideEvents.push(event);
    },
    async isKnownAccount() {
      return true;
    },
    commands: [{ name: 'help', description: 'What Hearth can do for you' }],
  };
}


export function runAdapterContract(name: string, setup: () => Promise<ContractFixture>): void {
  describe(`${name} adapter contract`, () => {
    let fixture: ContractFixture;
    let context: ReturnType<typeof recordingContext>;

    beforeEach(async () => {
      fixture = await setup();
      context = recordingContext();
      await fixture.adapter.start(context);
    });
    afterEach(async () => {
      await fixture.adapter.stop();
      await fixture.teardown();
    });

    it('declares capabilities the outbox can rely on', () => {
      const caps = fixture.adapter.capabilities;
      expect(caps.maxMessageLength).toBeGreaterThanOrEqual(256);
      expect(['plain', 'telegram-html', 'discord', 'matrix-html']).toContain(caps.markdown);
      expect(typeof fixture.adapter.edit === 'function').toBe(caps.canEdit);
      expect(typeof fixture.adapter.sendTyping === 'function').toBe(caps.hasTyping);
    });

    it('normalizes a direct message and answers in the same conversation (ids round-trip)', async () => {
      const arriving = context.waitForMessage();
      await fixture.injectDirectMessage('hello from the contract suite');
      const inbound = await arriving;
      expect(inbound.platform).toBe(fixture.adapter.platform);
      expect(inbound.eventId).not.toBe('');
      expect(inbound.messageId).not.toBe('');
      expect(inbound.conversation.kind).toBe('direct');
      expect(inbound.text).toBe('hello from the contract suite');
      expect(inbound.sender.accountId).not.toBe('');

      const sent = await fixture.adapter.send({
        conversation: inbound.conversation,
        text: 'contract reply',
        replyToMessageId: inbound.messageId,
        addressee: inbound.sender,
      });
      expect(sent.messageId).not.toBe('');
      const onPlatform = await eventually(async () => (await fixture.sent()).find((m) => m.messageId === sent.messageId), 'the reply on the platform');
      expect(onPlatform.conversationId).toBe(inbound.conversation.id);
      expect(onPlatform.text).toContain('contract reply');
    });

    it('ignores messages the bot itself sent', async () => {
      await fixture.injectOwnMessage('my own words');
      const arriving = context.waitForMessage();
      await fixture.injectDirectMessage('a real person');
      const inbound = await arriving;
      expect(inbound.text).toBe('a real person');
      expect(context.received.map((m) => m.text)).not.toContain('my own words');
    });

    it('accepts a message exactly at its declared limit', async () => {
      const arriving = context.waitForMessage();
      await fixture.injectDirectMessage('limit please');
      const inbound = await arriving;
      const text = 'x'.repeat(fixture.adapter.capabilities.maxMessageLength);
      const sent = await fixture.adapter.send({ conversation: inbound.conversation, text });
      const onPlatform = await eventually(async () => (await fixture.sent()).find((m) => m.messageId === sent.messageId), 'the long message');
      expect(onPlatform.text.replace(/<[^>]+>/g, '')).toContain('x'.repeat(100));
    });

    it('shows typing when it says it can', async () => {
      if (!fixture.adapter.capabilities.hasTyping || !fixture.adapter.sendTyping) return expect(fixture.adapter.sendTyping).toBeUndefined();
      const arriving = context.waitForMessage();
      await fixture.injectDirectMessage('typing please');
      const inbound = await arriving;
      const before = await fixture.typingCount();
      await fixture.adapter.sendTyping(inbound.conversation);
      await eventually(async () => ((await fixture.typingCount()) > before ? true : undefined), 'a typing notification');
    });

    it('sends a message with the same idempotency key once where the platform deduplicates, and still sends it elsewhere', async () => {
      const arriving = context.waitForMessage();
      await fixture.injectDirectMessage('once please');
      const inbound = await arriving;
      const message = { conversation: inbound.conversation, text: 'only once', idempotencyKey: 'h1f.contract' };
      const first = await fixture.adapter.send(message);
      // As the outbox does after a crash that lost the record of the first send.
      const again = await fixture.adapter.send(message);
      await eventually(async () => (await fixture.sent()).some((m) => m.messageId === again.messageId), 'the second send to be answered');
      const shown = (await fixture.sent()).filter((m) => m.text.includes('only once'));
      if (fixture.deduplicatesSends) {
        expect(again.messageId).toBe(first.messageId);
        expect(shown).toHaveLength(1);
      } else {
        expect(shown).toHaveLength(2);
      }
    });

    it('edits a sent message when it says it can', async () => {
      if (!fixture.adapter.capabilities.canEdit || !fixture.adapter.edit) return expect(fixture.adapter.edit).toBeUndefined();
      const arriving = context.waitForMessage();
      await fixture.injectDirectMessage('edit please');
      const inbound = await arriving;
      const sent = await fixture.adapter.send({ conversation: inbound.conversation, text: 'first draft' });
      await fixture.adapter.edit(inbound.conversation, sent.messageId, 'final text');
      await eventually(async () => {
        const message = (await fixture.sent()).find((m) => m.messageId === sent.messageId);
        return message?.text.includes('final text') ? message : undefined;
      }, 'the edited message');
    });
  });
}
