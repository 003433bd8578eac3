/**
 * What reaches the pipeline from Telegram: the real grammY client long-polls the stand-in, and
 * each test checks the InboundMessage (or its absence) the adapter hands over.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter, InboundMessage } from '../../src/core/index.ts';
import { recordingContext } from '../contract/adapter-contract.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { eventually, household, telegramAdapterFor } from '../fakes/telegram-fixture.ts';

let fake: FakeTelegram;
let adapter: Adapter;
let context: ReturnType<typeof recordingContext>;
let people: ReturnType<typeof household>;

beforeEach(async () => {
  fake = await startFakeTelegram();
  people = household(fake);
  adapter = telegramAdapterFor(fake);
  context = recordingContext();
  await adapter.start(context);
});
afterEach(async () => {
  await adapter.stop();
  await fake.close();
});

/** Waits for the sentinel message, then returns everything that reached the pipeline. */
async function receivedUpTo(sentinel: string): Promise<InboundMessage[]> {
  await eventually(() => context.received.some((m) => m.text === sentinel), `"${sentinel}" to reach the pipeline`);
  return context.received;
}

describe('direct messages', () => {
  it('normalizes a private chat message with stable ids and the sender account', async () => {
    const { alice, aliceDm } = people;
    const posted = fake.post(aliceDm, alice, 'what is for dinner?');
    const [inbound] = await receivedUpTo('what is for dinner?');
    expect(inbound).toMatchObject({
      platform: 'telegram',
      eventId: `${aliceDm.id}:${posted.message_id}`,
      messageId: String(posted.message_id),
      conversation: { id: String(aliceDm.id), kind: 'direct', title: 'Alice' },
      sender: { accountId: '1001', displayName: 'Alice' },
      text: 'what is for dinner?',
      attachments: [],
    });
    expect(inbound!.conversation.threadId).toBeUndefined();
    expect(Date.parse(inbound!.sentAt)).toBeGreaterThan(0);
  });

  it('turns a photo caption into text and keeps the attachment metadata', async () => {
    const { alice, aliceDm } = people;
    fake.post(aliceDm, alice, {
      caption: 'is this mould?',
      photo: [
        { file_id: 'small', file_unique_id: 's', width: 90, height: 90, file_size: 900 },
        { file_id: 'large', file_unique_id: 'l', width: 1280, height: 1280, file_size: 120_000 },
      ],
    });
    fake.post(aliceDm, alice, { caption: 'the lease', document: { file_id: 'doc-1', file_unique_id: 'd1', file_name: 'lease.pdf', mime_type: 'application/pdf', file_size: 48_000 } });
    const received = await receivedUpTo('the lease');
    expect(received[0]).toMatchObject({ text: 'is this mould?', attachments: [{ kind: 'image', ref: 'large', sizeBytes: 120_000 }] });
    expect(received[1]).toMatchObject({ text: 'the lease', attachments: [{ kind: 'file', ref: 'doc-1', name: 'lease.pdf', mimeType: 'application/pdf', sizeBytes: 48_000 }] });
  });

  it('treats /start and /help as commands addressed to the bot', async () => {
    const { alice, aliceDm } = people;
    fake.post(aliceDm, alice, fake.command('/start'));
    const [inbound] = await receivedUpTo('/start');
    expect(inbound!.mentionsBot).toBe(true);
  });
});

describe('groups and topics', () => {
  it('passes a group message without mention along as not addressed to the bot', async () => {
    const { bob, family } = people;
    fake.post(family, bob, 'who took the car keys?');
    const [inbound] = await receivedUpTo('who took the car keys?');
    expect(inbound).toMatchObject({ conversation: { id: String(family.id), kind: 'group', title: 'Family' }, mentionsBot: false });
    expect(inbound!.replyTo).toBeUndefined();
  });

  it('recognizes an @username mention and strips it from the text, keeping other mentions', async () => {
    const { bob, family } = people;
    const { text, entities } = fake.mentionBot('ask @alice about the keys');
    fake.post(family, bob, { text, entities: [...entities, { type: 'mention', offset: text.indexOf('@alice'), length: 6 }] });
    const [inbound] = await receivedUpTo('ask @alice about the keys');
    expect(inbound!.mentionsBot).toBe(true);
  });

  it('cuts a mention in the middle of a sentence cleanly and leaves the rest of the text alone', async () => {
    const { bob, family } = people;
    const text = `thanks @${fake.bot.username}, and keep    this spacing`;
    fake.post(family, bob, { text, entities: [{ type: 'mention', offset: 7, length: fake.bot.username.length + 1 }] });
    const [inbound] = await receivedUpTo('thanks, and keep    this spacing');
    expect(inbound!.mentionsBot).toBe(true);
  });

  it('does not treat a mention of someone else as addressing the bot', async () => {
    const { bob, family } = people;
    fake.post(family, bob, { text: '@alice dinner?', entities: [{ type: 'mention', offset: 0, length: 6 }] });
    const [inbound] = await receivedUpTo('@alice dinner?');
    expect(inbound!.mentionsBot).toBe(false);
  });

  it('recognizes a text_mention of the bot account', async () => {
    const { bob, family } = people;
    fake.post(family, bob, fake.textMentionBot('remind us at 6'));
    const [inbound] = await receivedUpTo('remind us at 6');
    expect(inbound!.mentionsBot).toBe(true);
  });

  it("counts a reply to the bot's own message as addressing it, and a reply to a person as not", async () => {
    const { alice, bob, family } = people;
    const question = fake.post(family, alice, fake.mentionBot('start a shopping list'));
    await receivedUpTo('start a shopping list');
    const answer = await adapter.send({ conversation: { id: String(family.id), kind: 'group' }, text: 'Done: milk, eggs', replyToMessageId: String(question.message_id) });
    fake.post(family, bob, 'add bread', { replyTo: Number(answer.messageId) });
    fake.post(family, bob, 'me too', { replyTo: question.message_id });
    const received = await receivedUpTo('me too');
    expect(received.find((m) => m.text === 'add bread')).toMatchObject({ mentionsBot: true, replyTo: { messageId: answer.messageId, toBot: true } });
    expect(received.find((m) => m.text === 'me too')).toMatchObject({ mentionsBot: false, replyTo: { messageId: String(question.message_id), toBot: false } });
  });

  it('keeps the forum topic as threadId, and does not mistake the topic root for a reply', async () => {
    const { alice, bob } = people;
    const forum = fake.group(-1009876543210, 'House', { forum: true });
    const topic = fake.createTopic(forum, 'Groceries', alice);
    fake.post(forum, bob, fake.mentionBot('we need apples'), { threadId: topic });
    const [inbound] = await receivedUpTo('we need apples');
    expect(inbound).toMatchObject({ conversation: { id: String(forum.id), kind: 'group', threadId: String(topic) }, mentionsBot: true });
    expect(inbound!.replyTo).toBeUndefined();
  });

  it('reads /cmd@ourbot as a command to us and ignores /cmd@otherbot', async () => {
    const { bob, family } = people;
    fake.post(family, bob, fake.command('/help@other_bot'));
    fake.post(family, bob, fake.command(`/help@${fake.bot.username}`, 'please'));
    const received = await receivedUpTo('/help please');
    expect(received).toHaveLength(1);
    expect(received[0]!.mentionsBot).toBe(true);
  });
});

describe('what is not answered', () => {
  it('drops edits, service messages, channel posts, other bots, its own messages and malformed updates', async () => {
    const { alice, bob, family, aliceDm } = people;
    const original = fake.post(aliceDm, alice, 'first version');
    fake.editMessage(original, 'edited version');
    fake.post(family, alice, { new_chat_members: [bob] });
    fake.channelPost(-1005555, 'News', 'channel news');
    fake.post(family, { id: 778, is_bot: true, first_name: 'Other', username: 'other_bot' }, fake.mentionBot('bots talking to bots'));
    fake.post(aliceDm, fake.bot, 'my own words');
    fake.pushUpdate({ message: { text: 'no chat or id' } });
    fake.pushUpdate({ message: { message_id: 9, chat: { id: 5, type: 'private' }, text: 'no sender' } });
    fake.post(aliceDm, alice, 'sentinel');
    const received = await receivedUpTo('sentinel');
    expect(received.map((m) => m.text)).toEqual(['first version', 'sentinel']);
  });
});
