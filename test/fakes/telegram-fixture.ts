/**
 * Test wiring for the Telegram adapter: a stand-in Bot API, an adapter pointed at it with short
 * back-offs, and the contract suite's fixture shape.
 */
import { createTelegramAdapter, type TelegramAdapterOptions } from '../../adapters/telegram/index.ts';
import type { Adapter, AdapterAuditEvent } from '../../src/core/index.ts';
import { recordingContext, type ContractFixture } from '../contract/adapter-contract.ts';
import { startFakeTelegram, type FakeTelegram } from './telegram.ts';
import { eventually } from '../helpers/eventually.ts';
export { eventually };

/** Polling settings that keep fault-recovery tests short. */
export const FAST_POLLING = { timeoutSeconds: 5, retryMinMs: 20, retryMaxMs: 200 };

export function telegramAdapterFor(fake: FakeTelegram, options: Partial<TelegramAdapterOptions> = {}): Adapter {
  return createTelegramAdapter({ token: fake.token, apiRoot: fake.apiRoot, polling: FAST_POLLING, ...options });
}

/** People and chats most tests use: Alice (known owner) in a DM, and a family group. */
export function household(fake: FakeTelegram) {
  const alice = fake.person(1001, 'Alice', 'alice');
  const bob = fake.person(1002, 'Bob');
  return {
    alice,
    bob,
    aliceDm: fake.privateChat(alice),
    bobDm: fake.privateChat(bob),
    family: fake.group(-1001234567890, 'Family', { supergroup: true }),
  };
}

export async function telegramContractFixture(): Promise<ContractFixture> {
  const fake = await startFakeTelegram();
  const { alice, aliceDm } = household(fake);
  const adapter = telegramAdapterFor(fake);
  return {
    adapter,
    async injectDirectMessage(text) {
      fake.post(aliceDm, alice, text);
    },
    async injectOwnMessage(text) {
      fake.post(aliceDm, fake.bot, text);
    },
    async sent() {
      return fake.botMessages().map((m) => ({ conversationId: String(m.chatId), messageId: String(m.messageId), text: m.text }));
    },
    async typingCount() {
      return fake.typing().length;
    },
    teardown: () => fake.close(),
  };
}

/** Polls a probe until it returns something (bounded), for state reached asynchronously. */

/** The contract suite's recording context, plus the audit events the adapter wrote. */
export function auditingContext(base = recordingContext()) {
  const audits: AdapterAuditEvent[] = [];
  return Object.assign(base, {
    audits,
    async audit(event: AdapterAuditEvent) {
      audits.push(event);
    },
  });
}
