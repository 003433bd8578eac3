/**
 * What people see when the adapter sends: Telegram HTML that the stand-in parses the way Telegram
 * does, quoting and topics in groups, fallbacks and error mapping.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Api, GrammyError } from 'grammy';
import {
  PlatformRateLimitedError,
  PlatformRejectedError,
  PlatformUnreachableError,
  type Adapter,
  type ConversationRef,
} from '../../src/core/index.ts';
import { recordingContext } from '../contract/adapter-contract.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { household, telegramAdapterFor } from '../fakes/telegram-fixture.ts';

let fake: FakeTelegram;
let adapter: Adapter;
let people: ReturnType<typeof household>;
let dm: ConversationRef;
let group: ConversationRef;

beforeEach(async () => {
  fake = await startFakeTelegram();
  people = household(fake);
  adapter = telegramAdapterFor(fake, { maxRetryAfterSeconds: 2 });
  await adapter.start(recordingContext());
  dm = { id: String(people.aliceDm.id), kind: 'direct' };
  group = { id: String(people.family.id), kind: 'group' };
});
afterEach(async () => {
  await adapter.stop();
  await fake.close();
});

describe('formatting', () => {
  it('renders markdown as Telegram HTML that Telegram accepts', async () => {
    const markdown = '**Shopping** for _Sunday_:\n\n- milk & eggs\n- `x < y`\n\n```js\nif (a < b && c > d) {}\n```\n\nSee [recipe](https://example.com/?a=1&b=2)';
    const sent = await adapter.send({ conversation: dm, text: markdown });
    const [message] = fake.botMessages();
    expect(message!.messageId).toBe(Number(sent.messageId));
    expect(message!.parseMode).toBe('HTML');
    expect(message!.raw).toContain('<b>Shopping</b>');
    expect(message!.raw).toContain('<a href="https://example.com/?a=1&amp;b=2">recipe</a>');
    expect(message!.text).toContain('• milk & eggs');
    expect(message!.text).toContain('if (a < b && c > d) {}');
    expect(message!.text).not.toContain('**');
  });

  it('shows raw HTML a model wrote as text instead of failing the message', async () => {
    await adapter.send({ conversation: dm, text: 'Use <div class="x">this</div> & <script>alert(1)</script>' });
    const [message] = fake.botMessages();
    expect(message!.parseMode).toBe('HTML');
    expect(message!.text).toBe('Use <div class="x">this</div> & <script>alert(1)</script>');
  });

  it('sends the same words as plain text when Telegram rejects the entities', async () => {
    fake.fail('sendMessage', { kind: 'reject', status: 400, description: 'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 4' });
    const sent = await adapter.send({ conversation: dm, text: 'Take **two** pills' });
    const [message] = fake.botMessages();
    expect(message!.messageId).toBe(Number(sent.messageId));
    expect(message!.parseMode).toBeUndefined();
    expect(message!.text).toBe('Take **two** pills');
    expect(fake.callsTo('sendMessage')).toHaveLength(2);
  });

  it('splits a text longer than 4096 visible characters into messages Telegram accepts', async () => {
    const paragraph = `${'word '.repeat(199)}end.`;
    const text = Array.from({ length: 6 }, () => paragraph).join('\n\n');
    await adapter.send({ conversation: dm, text });
    const messages = fake.botMessages();
    expect(messages.length).toBe(2);
    expect(messages.every((m) => m.text.length <= 4096)).toBe(true);
    expect(messages.map((m) => m.text).join('\n\n')).toBe(text);
  });
});

describe('where replies go', () => {
  it('quotes the message it answers in a group, and not in a direct chat', async () => {
    const question = fake.post(people.family, people.alice, 'when is the dentist?');
    const dmQuestion = fake.post(people.aliceDm, people.alice, 'and you?');
    await adapter.send({ conversation: group, text: 'Tuesday 10:00', replyToMessageId: String(question.message_id) });
    await adapter.send({ conversation: dm, text: 'Same', replyToMessageId: String(dmQuestion.message_id) });
    const [inGroup, inDm] = fake.botMessages();
    expect(inGroup).toMatchObject({ chatId: people.family.id, replyTo: question.message_id });
    expect(inDm!.replyTo).toBeUndefined();
  });

  it('answers inside the forum topic, and shows typing there', async () => {
    const forum = fake.group(-1002223334445, 'House', { forum: true });
    const topic = fake.createTopic(forum, 'Chores', people.alice);
    const question = fake.post(forum, people.alice, 'whose turn?', { threadId: topic });
    const conversation: ConversationRef = { id: String(forum.id), kind: 'group', threadId: String(topic) };
    await adapter.sendTyping!(conversation);
    await adapter.send({ conversation, text: "Bob's", replyToMessageId: String(question.message_id) });
    expect(fake.typing(forum.id)).toEqual([{ chatId: forum.id, threadId: topic }]);
    expect(fake.botMessages(forum.id)[0]).toMatchObject({ threadId: topic, replyTo: question.message_id });
  });

  it('still answers when the quoted message was deleted', async () => {
    await adapter.send({ conversation: group, text: 'answer', replyToMessageId: '424242' });
    expect(fake.botMessages(people.family.id)[0]!.text).toBe('answer');
  });
});

describe('editing', () => {
  it('edits a preview into the final text, tolerating an unchanged edit', async () => {
    const sent = await adapter.send({ conversation: dm, text: 'Thinking…' });
    await adapter.edit!(dm, sent.messageId, 'The answer is **42**');
    await adapter.edit!(dm, sent.messageId, 'The answer is **42**');
    const [message] = fake.botMessages();
    expect(message).toMatchObject({ text: 'The answer is 42', edits: 1, parseMode: 'HTML' });
  });

  it('falls back to plain text when an edit is rejected for its entities', async () => {
    const sent = await adapter.send({ conversation: dm, text: 'draft' });
    fake.fail('editMessageText', { kind: 'reject', status: 400, description: "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"" });
    await adapter.edit!(dm, sent.messageId, 'final **text**');
    expect(fake.botMessages()[0]).toMatchObject({ text: 'final **text**', edits: 1 });
    expect(fake.botMessages()[0]!.parseMode).toBeUndefined();
  });
});

describe('limits and faults', () => {
  it('waits out a 429 retry_after and delivers the message', async () => {
    fake.fail('sendMessage', { kind: 'rate-limit', retryAfter: 1 });
    await adapter.send({ conversation: dm, text: 'after the wait' });
    expect(fake.calls.filter((c) => c.method === 'sendMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(fake.botMessages()[0]!.text).toBe('after the wait');
  });

  it('hands a long retry_after back to the outbox as PlatformRateLimitedError', async () => {
    fake.fail('sendMessage', { kind: 'rate-limit', retryAfter: 30 });
    const error = await adapter.send({ conversation: dm, text: 'later' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformRateLimitedError);
    expect((error as PlatformRateLimitedError).retryAfterMs).toBe(30_000);
    expect(fake.botMessages()).toHaveLength(0);
  });

  it('maps 5xx and dropped connections to PlatformUnreachableError, without the token in the message', async () => {
    fake.fail('sendMessage', { kind: 'server-error' });
    await expect(adapter.send({ conversation: dm, text: 'x' })).rejects.toBeInstanceOf(PlatformUnreachableError);
    fake.fail('sendMessage', { kind: 'network' });
    const dropped = await adapter.send({ conversation: dm, text: 'x' }).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(PlatformUnreachableError);
    fake.fail('sendChatAction', { kind: 'bad-gateway' });
    const gateway = await adapter.sendTyping!(dm).catch((e: unknown) => e);
    expect(gateway).toBeInstanceOf(PlatformUnreachableError);
    for (const error of [dropped, gateway]) expect(String((error as Error).message)).not.toContain(fake.token.split(':')[1]);
  });

  it('maps a refusal to PlatformRejectedError with Telegram\'s reason', async () => {
    fake.fail('sendMessage', { kind: 'reject', status: 403, description: 'Forbidden: bot was blocked by the user' });
    const error = await adapter.send({ conversation: dm, text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ status: 403, description: 'Forbidden: bot was blocked by the user' });
  });
});

describe('the stand-in is as strict as Telegram', () => {
  it('refuses over-long text and broken HTML the way the Bot API does', async () => {
    const api = new Api(fake.token, { apiRoot: fake.apiRoot });
    const chat = people.aliceDm.id;
    await expect(api.sendMessage(chat, 'x'.repeat(4096))).resolves.toMatchObject({ text: 'x'.repeat(4096) });
    const tooLong = await api.sendMessage(chat, 'x'.repeat(4097)).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(GrammyError);
    expect(tooLong).toMatchObject({ error_code: 400, description: 'Bad Request: message is too long' });
    // 4096 visible characters are fine even when the HTML source is longer.
    await expect(api.sendMessage(chat, `<b>${'&amp;'.repeat(4096)}</b>`, { parse_mode: 'HTML' })).resolves.toBeDefined();
    const broken = await api.sendMessage(chat, '<b>unclosed', { parse_mode: 'HTML' }).catch((e: unknown) => e);
    expect(broken).toMatchObject({ error_code: 400, description: expect.stringContaining("can't parse entities") });
  });
});
