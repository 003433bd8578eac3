/**
 * A person on Telegram talking to a whole Hearth: real pipeline and database, the Ollama
 * stand-in as the model, the real grammY client against the Bot API stand-in. Each test checks
 * what people in the chat would see.
 */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from '../../src/core/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { parseTelegramHtml } from '../fakes/telegram-html.ts';
import { eventually, household, telegramAdapterFor } from '../fakes/telegram-fixture.ts';

const OWNER = 'telegram:1001,telegram:1003';

let fake: FakeTelegram;
let ollama: FakeOllama;
let database: TestDatabase | undefined;
let people: ReturnType<typeof household>;
let hearth: Hearth | undefined;

beforeEach(async () => {
  [fake, ollama] = await Promise.all([startFakeTelegram(), startFakeOllama()]);
  people = household(fake);
});
afterEach(async () => {
  await hearth?.stop();
  hearth = undefined;
  await Promise.all([fake.close(), ollama.close()]);
  await database?.drop();
  database = undefined;
});

async function start(adapter: Adapter = telegramAdapterFor(fake), config: Record<string, unknown> = {}): Promise<Hearth> {
  // In-memory database unless the test needs one that survives a restart.
  hearth = await startHearth({ adapters: [adapter], owner: OWNER, ...(database ? { dataDir: database.dataDir } : {}), ollama, config });
  return hearth;
}

/** Telegram forgets an update once the adapter acknowledges it, i.e. after it was journaled. */
async function settled(h: Hearth): Promise<void> {
  await eventually(() => fake.pendingUpdates().length === 0, 'Telegram updates to be acknowledged');
  await h.idle();
}

const lastUserText = () => ollama.chatRequests.at(-1)?.messages.filter((m) => m.role === 'user').at(-1)?.content;

describe('Telegram end to end', () => {
  it('answers a direct question with a streamed reply that ends as one formatted message', async () => {
    const h = await start(telegramAdapterFor(fake), { agent: { streaming: true } });
    const answer = '**Lentil soup** tonight: you have lentils, carrots and onions, and it takes about forty minutes.';
    ollama.reply({ content: answer, pieces: 6, pieceDelayMs: 120 });
    fake.post(people.aliceDm, people.alice, 'what can I cook tonight?');
    await settled(h);

    const messages = fake.botMessages(people.aliceDm.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      text: 'Lentil soup tonight: you have lentils, carrots and onions, and it takes about forty minutes.',
      parseMode: 'HTML',
    });
    expect(messages[0]!.raw).toContain('<b>Lentil soup</b>');
    // The reply started as a preview and was edited into the final answer.
    expect(messages[0]!.edits).toBeGreaterThanOrEqual(1);
    expect(fake.typing(people.aliceDm.id).length).toBeGreaterThanOrEqual(1);
    expect(lastUserText()).toContain('what can I cook tonight?');
  });

  it('stays silent in a group when nobody addresses it', async () => {
    const h = await start();
    fake.post(people.family, people.alice, 'who is picking up grandma?');
    await settled(h);
    expect(fake.botMessages()).toHaveLength(0);
    expect(ollama.chatRequests).toHaveLength(0);
  });

  it('answers @mention, text_mention and reply-to-bot in a forum topic, quoting each question', async () => {
    const h = await start();
    const forum = fake.group(-1004445556667, 'Household', { forum: true });
    const topic = fake.createTopic(forum, 'Groceries', people.alice);

    const byMention = fake.post(forum, people.alice, fake.mentionBot('do we have eggs?'), { threadId: topic });
    await settled(h);
    const [first] = fake.botMessages(forum.id);
    expect(first).toMatchObject({ threadId: topic, replyTo: byMention.message_id });
    // The model saw the question without the bot's @username.
    expect(lastUserText()).toMatch(/do we have eggs\?$/);
    expect(lastUserText()).not.toContain(fake.bot.username);

    const byName = fake.post(forum, people.alice, fake.textMentionBot('and milk?'), { threadId: topic });
    await settled(h);
    const byReply = fake.post(forum, people.alice, 'and bread?', { threadId: topic, replyTo: first!.messageId });
    await settled(h);

    const answers = fake.botMessages(forum.id);
    expect(answers.map((m) => ({ threadId: m.threadId, replyTo: m.replyTo, text: m.text }))).toEqual([
      { threadId: topic, replyTo: byMention.message_id, text: expect.stringMatching(/^echo: .*do we have eggs\?$/) },
      { threadId: topic, replyTo: byName.message_id, text: expect.stringMatching(/^echo: .*and milk\?$/) },
      { threadId: topic, replyTo: byReply.message_id, text: expect.stringMatching(/^echo: .*and bread\?$/) },
    ]);
  });

  it('splits a 6,000-character answer into two messages whose formatting Telegram accepts', async () => {
    const h = await start();
    const paragraphs = Array.from({ length: 56 }, (_, i) => `Step ${i + 1}: stir **gently** with a \`spoon <wooden>\` & taste; keep the heat low for ${i + 2} minutes, then continue.`);
    const answer = paragraphs.join('\n\n');
    expect(answer.length).toBeGreaterThan(6_000);
    ollama.reply({ content: answer, pieces: 3, pieceDelayMs: 50 });
    fake.post(people.aliceDm, people.alice, 'give me the long recipe');
    await settled(h);

    const messages = fake.botMessages(people.aliceDm.id);
    expect(messages).toHaveLength(2);
    for (const message of messages) {
      expect(message.parseMode).toBe('HTML');
      expect(parseTelegramHtml(message.raw).ok).toBe(true);
      expect(message.text.length).toBeLessThanOrEqual(4096);
    }
    expect(fake.calls.filter((c) => c.status === 400)).toEqual([]);
    const shown = messages.map((m) => m.text).join('\n\n');
    expect(shown).toContain('Step 1: stir gently with a spoon <wooden> & taste');
    expect(shown).toContain('Step 56: stir gently');
    expect(shown).not.toContain('…');
  });

  it('sends the answer as plain text when Telegram rejects its entities', async () => {
    const h = await start();
    ollama.reply('Take **two**');
    fake.fail('sendMessage', { kind: 'reject', status: 400, description: 'Bad Request: can\'t parse entities: Unsupported start tag "b" at byte offset 5' });
    fake.post(people.aliceDm, people.alice, 'how many?');
    await settled(h);
    expect(fake.botMessages(people.aliceDm.id)).toEqual([expect.objectContaining({ text: 'Take **two**', edits: 0 })]);
    expect(fake.botMessages(people.aliceDm.id)[0]!.parseMode).toBeUndefined();
  });

  it('waits out a 429 and still delivers the answer', async () => {
    const h = await start();
    fake.fail('sendMessage', { kind: 'rate-limit', retryAfter: 1 });
    fake.post(people.aliceDm, people.alice, 'are you there?');
    await settled(h);
    expect(fake.calls.filter((c) => c.method === 'sendMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(fake.botMessages(people.aliceDm.id).map((m) => m.text)).toEqual(['echo: are you there?']);
  });

  it('answers an update delivered twice only once', async () => {
    const secret = 'e2e-webhook-secret-0123456789';
    const adapter = telegramAdapterFor(fake, { webhook: { url: 'https://hearth.example/telegram/webhook', secret } });
    const h = await start(adapter);
    const update = { update_id: 77, message: { message_id: 5, date: Math.floor(Date.now() / 1000), chat: people.aliceDm, from: people.alice, text: 'only once please' } };
    const deliver = () => h.request('/telegram/webhook', { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body: JSON.stringify(update) });
    expect((await deliver()).status).toBe(200);
    expect((await deliver()).status).toBe(200);
    await h.idle();
    expect(fake.botMessages(people.aliceDm.id).map((m) => m.text)).toEqual(['echo: only once please']);
    expect(ollama.chatRequests).toHaveLength(1);
  });

  it('does not replay anything after a restart mid-conversation', async () => {
    database = await createTestDatabase('pglite');
    let h = await start();
    await eventually(() => fake.callsTo('getUpdates').length >= 1, 'the first long poll');
    // The acknowledging getUpdates is lost, so Telegram would offer the first message again.
    fake.fail('getUpdates', { kind: 'network' }, 1_000);
    fake.post(people.aliceDm, people.alice, 'first question');
    await eventually(() => fake.botMessages().length === 1, 'the first answer');
    await h.stop();
    fake.clearFaults();
    expect(fake.pendingUpdates()).toHaveLength(1);
    fake.post(people.aliceDm, people.alice, 'second question');

    h = await start();
    await settled(h);
    expect(fake.botMessages(people.aliceDm.id).map((m) => m.text)).toEqual(['echo: first question', 'echo: second question']);
    expect(ollama.chatRequests).toHaveLength(2);
  });

  it('finishes sending an answer when stopped mid-send, and does not send it again after the restart', async () => {
    database = await createTestDatabase('pglite');
    let h = await start();
    // Telegram has the message as soon as the call arrives; its answer is what is slow.
    fake.fail('sendMessage', { kind: 'slow', ms: 1_500 });
    fake.post(people.aliceDm, people.alice, 'are you still there?');
    await eventually(() => fake.botMessages().length === 1, 'the answer to reach Telegram');
    await h.stop();
    fake.clearFaults();

    h = await start();
    await settled(h);
    // A send cut off by the stop would be waiting for its retry: wait until nothing is left to send.
    const unsent = async () => (await h.hearth.database.rows<{ n: number }>(sql`select count(*)::int as n from outbox where status = 'pending'`))[0]!.n;
    await eventually(async () => (await unsent()) === 0, 'nothing left to send');
    expect(fake.botMessages(people.aliceDm.id).map((m) => m.text)).toEqual(['echo: are you still there?']);
    expect(fake.callsTo('sendMessage')).toHaveLength(1);
  });

  it('delivers an answer the model finishes while Hearth is stopping, before it stops', async () => {
    const h = await start();
    ollama.always({ content: 'echo: almost done', pieces: 2, pieceDelayMs: 750 });
    fake.post(people.aliceDm, people.alice, 'a slow one');
    await eventually(() => ollama.chatRequests.length === 1, 'the question to reach the model');
    await h.stop();
    hearth = undefined;
    expect(fake.botMessages(people.aliceDm.id).map((m) => m.text)).toEqual(['echo: almost done']);
  });

  it('refuses an unknown sender politely and audits it', async () => {
    const h = await start();
    fake.post(people.bobDm, people.bob, 'hello, who are you?');
    await settled(h);
    const [reply] = fake.botMessages(people.bobDm.id);
    expect(reply!.text).toMatch(/don't know you yet/);
    expect(reply!.text).toContain('telegram:1002');
    expect(ollama.chatRequests).toHaveLength(0);
    expect(await h.audit()).toContainEqual(expect.objectContaining({ kind: 'sender.refused', subject: 'telegram:1002' }));
  });

  it('answers /help itself and registers the command menu', async () => {
    const h = await start();
    fake.post(people.aliceDm, people.alice, fake.command('/help'));
    await settled(h);
    expect(fake.botMessages(people.aliceDm.id)[0]!.text).toMatch(/\/help/);
    expect(ollama.chatRequests).toHaveLength(0);
    expect(fake.commands().map((c) => c.command)).toEqual(expect.arrayContaining(['start', 'help']));
  });

  it('refuses a webhook call with a wrong secret (401, audited, nothing answered)', async () => {
    const adapter = telegramAdapterFor(fake, { webhook: { url: 'https://hearth.example/telegram/webhook', secret: 'the-right-secret-0123456789' } });
    const h = await start(adapter);
    const update = { update_id: 78, message: { message_id: 6, date: Math.floor(Date.now() / 1000), chat: people.aliceDm, from: people.alice, text: 'forged' } };
    const response = await h.request('/telegram/webhook', { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'not-the-secret' }, body: JSON.stringify(update) });
    expect(response.status).toBe(401);
    await h.idle();
    expect(fake.botMessages()).toHaveLength(0);
    expect(ollama.chatRequests).toHaveLength(0);
    const audit = await h.audit();
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'webhook.rejected', subject: 'telegram' }));
    expect(JSON.stringify(audit)).not.toContain('not-the-secret');
  });
});
