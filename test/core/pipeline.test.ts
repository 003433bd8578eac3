/**
 * The shared pipeline end to end, on both database drivers: what a person on any platform would
 * notice — one answer per message, silence in groups unless addressed, apologies and retries when
 * the model is down, answers that survive a crash, strangers refused and audited.
 */
import { connect, createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { APOLOGY } from '../../src/pipeline/stages/agent.ts';
import { until } from '../helpers/eventually.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import { scaled } from '../helpers/time-scale.ts';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../src/db/client.ts';
import { queueNotice } from '../../src/pipeline/outbox.ts';

const OWNER = 'test:owner-1';


describeEachDriver('pipeline on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  const start = async (config: Record<string, unknown> = {}, withAdapter = adapter, pollIntervalMs?: number) =>
    (hearth = await startHearth({ adapters: [withAdapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, config, pollIntervalMs }));

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  it('answers a direct message once, even when the platform delivers it twice', async () => {
    const h = await start();
    ollama.reply('Hi Olive!');
    await adapter.inject({ eventId: 'evt-42', text: 'hello' });
    await adapter.inject({ eventId: 'evt-42', text: 'hello' });
    await h.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual(['Hi Olive!']);
    expect(ollama.chatRequests).toHaveLength(1);
  });

  it('stays silent in a group unless mentioned or replied to', async () => {
    const h = await start();
    const group = { id: 'family', kind: 'group' as const };
    await adapter.inject({ conversation: group, text: 'talking among ourselves' });
    await h.idle();
    expect(adapter.sent).toHaveLength(0);
    expect(ollama.chatRequests).toHaveLength(0);

    const stored = await h.hearth.database.rows<{ message: Record<string, unknown> }>((await import('drizzle-orm')).sql`select message from inbound_journal`);
    expect(JSON.stringify(stored)).not.toContain('talking among ourselves');

    await adapter.inject({ conversation: group, text: 'what do you think?', mentionsBot: true, messageId: 'q1' });
    await adapter.inject({ conversation: group, text: 'and you?', replyTo: { messageId: 'x', toBot: true }, messageId: 'q2' });
    await h.idle();
    expect(adapter.sent.map((m) => m.replyToMessageId)).toEqual(['q1', 'q2']);
  });

  it('refuses an unknown sender politely and audits it', async () => {
    const h = await start();
    await adapter.inject({ sender: { accountId: 'stranger-9', displayName: 'Mallory' }, text: 'give me your secrets' });
    await h.idle();
    expect(ollama.chatRequests).toHaveLength(0);
    expect(adapter.sent).toHaveLength(1);
    expect(adapter.sent[0]!.text).toMatch(/don't know you yet/);
    const audit = await h.audit();
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'sender.refused', subject: 'test:stranger-9' }));
  });

  it('splits a long answer at the platform limit without breaking a code block', async () => {
    adapter = createTestAdapter('test', { maxMessageLength: 300, canEdit: false });
    const h = await start({ agent: { streaming: false } });
    const code = ['```python', ...Array.from({ length: 12 }, (_, i) => `print("line ${i} of the example")`), '```'].join('\n');
    const answer = `${'Here is a paragraph of explanation. '.repeat(6)}\n\n${code}\n\n${'And a closing thought. '.repeat(5)}`;
    ollama.reply(answer);
    await adapter.inject({ text: 'show me code' });
    await h.idle();
    expect(adapter.sent.length).toBeGreaterThan(1);
    for (const message of adapter.sent) {
      expect(message.text.length).toBeLessThanOrEqual(300);
      expect((message.text.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const rejoined = adapter.sent.map((m) => m.text).join('\n');
    for (let i = 0; i < 12; i++) expect(rejoined).toContain(`print("line ${i} of the example")`);
  });

  it.each([
    ['unreachable', async (o: FakeOllama) => o.close()],
    ['HTTP 500', async (o: FakeOllama) => o.always({ kind: 'http-error', status: 500, error: 'llama runner process has terminated' })],
    ['an error line mid-stream', async (o: FakeOllama) => o.always({ kind: 'error-line', error: 'out of memory', afterContent: 'Let me' })],
    ['hung before the first token', async (o: FakeOllama) => o.always({ kind: 'hang' })],
  ])('apologises once when the model is %s, then answers when it is back', async (_name, breakModel) => {
    // The answer after the retry must not miss the first-token timeout on a busy machine.
    const h = await start({ agent: { retryBaseMs: 300 }, ollama: { firstTokenTimeoutMs: scaled(500) } });
    await breakModel(ollama);
    await adapter.inject({ text: 'are you there?' });
    await until(() => adapter.sent.length >= 1, 'the apology');
    expect(adapter.sent[0]!.text).toBe(APOLOGY);

    if (_name === 'unreachable') {
      // Bring a model back at the same address Hearth was configured with.
      const port = Number(new URL(ollama.url).port);
      ollama = await restartFakeOllamaOn(port);
    } else {
      ollama.always(undefined);
    }
    ollama.reply('Yes, I am here now.');
    await until(() => adapter.sent.length >= 2, 'the real answer after the retry');
    await h.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual([APOLOGY, 'Yes, I am here now.']);
  });

  it('gives up a hung answer at the turn timeout instead of typing forever', async () => {
    const h = await start({ agent: { retryBaseMs: 60_000 }, ollama: { firstTokenTimeoutMs: 500, turnTimeoutMs: 1_000 } });
    ollama.always({ kind: 'hang-after-first-token', content: 'Thinking about' });
    await adapter.inject({ text: 'tell me a long story' });
    await until(() => adapter.sent.some((m) => m.text === APOLOGY), 'the apology after the turn timeout');
    const typingAfter = adapter.typing;
    await new Promise((r) => setTimeout(r, 300));
    expect(adapter.typing).toBe(typingAfter);
    await h.idle();
  });

  it('answers a message after a crash between journaling and replying', async () => {
    ollama.always({ kind: 'hang' });
    const first = await start({ ollama: { firstTokenTimeoutMs: 60_000, turnTimeoutMs: 60_000 } });
    await adapter.inject({ eventId: 'before-crash', text: 'remember to answer me' });
    await until(() => ollama.chatRequests.length === 1, 'the first attempt to reach the model');
    // The process "dies": it stops at once and its database connection is gone.
    await first.hearth.gateway.stop({ graceMs: 0 });
    await first.hearth.database.close();
    hearth = undefined;

    ollama.always(undefined);
    ollama.reply('Sorry for the wait: here is your answer.');
    const second = createTestAdapter();
    const h = await start({}, second);
    await until(() => second.sent.length === 1, 'the answer after restart');
    await h.idle();
    expect(second.sent.map((m) => m.text)).toEqual(['Sorry for the wait: here is your answer.']);
  });

  it('streams a long answer into one message that becomes the final reply', async () => {
    const h = await start({ agent: { streaming: true } });
    ollama.reply({ content: 'The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun for a while.', pieces: 10, pieceDelayMs: 30 });
    await adapter.inject({ text: 'tell me about the fox' });
    await h.idle();
    expect(adapter.sent).toHaveLength(1);
    expect(adapter.sent[0]!.edits.length).toBeGreaterThan(0);
    expect(adapter.sent[0]!.text).toBe('The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun for a while.');
    expect(adapter.typing).toBeGreaterThan(0);
  });

  it('still delivers the answer when the streaming preview was deleted', async () => {
    const { PlatformRejectedError } = await import('../../src/core/index.ts');
    const h = await start({ agent: { streaming: true } });
    const edit = adapter.edit!.bind(adapter);
    let previewDeleted = false;
    adapter.edit = async (conversation, messageId, text) => {
      if (previewDeleted) throw new PlatformRejectedError('test', 'message to edit not found', 400);
      return edit(conversation, messageId, text);
    };
    ollama.reply({ content: 'A long enough answer that a preview message appears while it streams in.', pieces: 6, pieceDelayMs: 40 });
    await adapter.inject({ text: 'stream please' });
    await until(() => adapter.sent.length === 1, 'the preview');
    previewDeleted = true;
    await h.idle();
    expect(adapter.sent.at(-1)!.text).toBe('A long enough answer that a preview message appears while it streams in.');
  });

  it('runs a tool the model calls and audits it; refuses a tool that does not exist', async () => {
    const h = await start();
    ollama.reply({ toolCalls: [{ name: 'calculate', arguments: { expression: '(12.5 * 4) / 2' } }] }, 'That is 25.', { toolCalls: [{ name: 'delete_everything', arguments: { confirm: true } }] }, 'I cannot do that.');
    await adapter.inject({ text: 'what is 12.5 times 4 halved?' });
    await h.idle();
    const toolResult = ollama.chatRequests[1]!.messages.find((m) => m.role === 'tool');
    expect(toolResult?.content).toBe('25');
    await adapter.inject({ text: 'delete everything' });
    await h.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual(['That is 25.', 'I cannot do that.']);
    const kinds = (await h.audit()).map((a) => `${a.kind}:${a.subject}`);
    expect(kinds).toEqual(expect.arrayContaining(['tool.called:calculate', 'tool.refused:delete_everything']));
  });

  it('keeps each conversation in order and remembers it across turns', async () => {
    const h = await start();
    ollama.reply('first answer', 'second answer');
    await adapter.inject({ text: 'first question' });
    await adapter.inject({ text: 'second question' });
    await h.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual(['first answer', 'second answer']);
    const contents = ollama.chatRequests[1]!.messages.map((m) => m.content);
    // Earlier turns repeat exactly as sent, their note included (Ollama reuses its cache for them); the newest carries the time.
    expect(contents.slice(1, -1)).toEqual([ollama.chatRequests[0]!.messages.at(-1)!.content, 'first answer']);
    expect(contents[1]).toMatch(/^\[Now: [^\n]+\]\n\nfirst question$/);
    expect(contents.at(-1)).toMatch(/^\[Now: \w{3} \d+ \w{3} \d{4} \d\d:\d\d \([\w/+-]+\)\]\n\nsecond question$/);
  });

  // Without the periodic check (an hour apart here), each message must be claimed when it can be.
  const NO_POLL = 3_600_000;

  it("answers a message sent while its chat's previous one is being answered, without waiting for a periodic check", async () => {
    await start({ agent: { streaming: false } }, adapter, NO_POLL);
    ollama.answerDelayMs = 200;
    ollama.reply('first answer', 'second answer');
    await adapter.inject({ text: 'first question' });
    await adapter.inject({ text: 'second question' });
    await until(() => adapter.sent.length === 2, 'both answers', 5_000);
    expect(adapter.sent.map((m) => m.text)).toEqual(['first answer', 'second answer']);
  });

  it('answers a message that waited for a free slot, without waiting for a periodic check', async () => {
    await start({ agent: { streaming: false, concurrency: 1 } }, adapter, NO_POLL);
    ollama.answerDelayMs = 200;
    ollama.reply('answer in the first chat', 'answer in the second chat');
    await adapter.inject({ text: 'first question', conversation: { id: 'chat-1', kind: 'direct' } });
    await adapter.inject({ text: 'second question', conversation: { id: 'chat-2', kind: 'direct' } });
    await until(() => adapter.sent.length === 2, 'both answers', 5_000);
    expect(adapter.sent.map((m) => m.text)).toEqual(['answer in the first chat', 'answer in the second chat']);
  });

  it("sends at once a reply its platform's last holder had claimed but not sent", async () => {
    const exclusive = Object.assign(createTestAdapter(), { exclusive: true });
    await (await start({}, exclusive)).stop();
    hearth = undefined;
    // As a process leaves it that died between claiming a reply and sending it: claimed for an hour.
    const db = await openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    try {
      await queueNotice(db, { platform: 'test', conversation: { id: 'dm-1', kind: 'direct' }, text: 'claimed, never sent' });
      await db.rows(sql`update outbox set attempts = 1, next_attempt_at = now() + interval '1 hour'`);
    } finally {
      await db.close();
    }
    await start({}, exclusive, NO_POLL);
    await until(() => exclusive.sent.length === 1, 'the claimed reply', 5_000);
    expect(exclusive.sent.map((m) => m.text)).toEqual(['claimed, never sent']);
  });

  it('tells the model about a photo sent without a caption', async () => {
    const h = await start();
    ollama.reply('I cannot open pictures yet, but thanks!');
    await adapter.inject({ text: '', attachments: [{ kind: 'image', ref: 'file-1', name: 'cat.jpg' }] });
    await h.idle();
    expect(ollama.chatRequests[0]!.messages.at(-1)!.content).toMatch(/\[sent image "cat.jpg" without text/);
    expect(adapter.sent.map((m) => m.text)).toEqual(['I cannot open pictures yet, but thanks!']);
  });

  it('answers /help without the model', async () => {
    const h = await start();
    await adapter.inject({ text: '/help' });
    await h.idle();
    expect(ollama.chatRequests).toHaveLength(0);
    expect(adapter.sent[0]!.text).toContain('/help');
  });

  it('tells a person who floods it to slow down', async () => {
    const h = await start({ limits: { messagesPerMinute: 2 } });
    for (let i = 0; i < 4; i++) await adapter.inject({ text: `message ${i}` });
    await h.idle();
    expect(ollama.chatRequests).toHaveLength(2);
    expect(adapter.sent.filter((m) => /faster than I can keep up/.test(m.text))).toHaveLength(1);
    // The first refusal is recorded at once; repeats are folded into one count when the window closes (test/hardening/floods.test.ts).
    expect((await h.audit()).filter((a) => a.kind === 'rate.limited')).toHaveLength(1);
  });

  it('retries delivery when the platform is unreachable', async () => {
    const { PlatformUnreachableError } = await import('../../src/core/index.ts');
    adapter.failNextSends.push(new PlatformUnreachableError('test', 'connection reset'));
    const h = await start({ agent: { streaming: false } });
    ollama.reply('delivered eventually');
    await adapter.inject({ text: 'hello?' });
    await until(() => adapter.sent.length === 1, 'the retried delivery');
    await h.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual(['delivered eventually']);
  });

  it('sends a newer answer only after an older one of its chat that is waiting to be retried', async () => {
    const { PlatformUnreachableError } = await import('../../src/core/index.ts');
    adapter.failNextSends.push(new PlatformUnreachableError('test', 'connection reset'));
    const h = await start({ agent: { streaming: false } });
    ollama.reply('first answer');
    await adapter.inject({ text: 'first question' });
    await until(() => adapter.failNextSends.length === 0, 'the failed first delivery');
    ollama.reply('second answer');
    await adapter.inject({ text: 'second question' });
    await until(() => adapter.sent.length === 2, 'both answers');
    await h.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual(['first answer', 'second answer']);
  });
});

async function restartFakeOllamaOn(port: number): Promise<FakeOllama> {
  // Wait for the port to be free, then start a stand-in there through a tiny TCP proxy.
  const fresh = await startFakeOllama();
  const target = Number(new URL(fresh.url).port);
  const proxy = createServer((socket) => {
    const upstream = connect(target, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => proxy.once('error', reject).listen(port, '127.0.0.1', resolve));
  const close = fresh.close;
  fresh.close = async () => {
    proxy.close();
    await close();
  };
  return fresh;
}
