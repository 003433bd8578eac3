/**
 * Several Ollama servers behind one Hearth, as the owner and the people in the chat notice it:
 * turns spread over the servers without exceeding a server's concurrency, a server killed in the
 * middle of a burst costs nobody an answer (and nobody an apology), it gets turns again once it is
 * back, embeddings can live on their own server, and a server only gets the models it has.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { checkOllama } from '../../src/doctor.ts';
import { APOLOGY } from '../../src/pipeline/stages/agent.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { until } from '../helpers/eventually.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import { scaled } from '../helpers/time-scale.ts';

const OWNER = 'test:owner-1';

describeEachDriver('several Ollama servers on %s', (driver) => {
  let database: TestDatabase;
  let first: FakeOllama;
  let second: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;
  const extra: FakeOllama[] = [];

  const start = (ollama: Record<string, unknown>, agent: Record<string, unknown> = {}) =>
    startHearth({
      adapters: [adapter],
      owner: OWNER,
      driver,
      dataDir: database.dataDir,
      databaseUrl: database.databaseUrl,
      ollama: first,
      config: { ollama: { serverConcurrency: 1, ...ollama }, agent: { streaming: false, concurrency: 4, ...agent }, limits: { messagesPerMinute: 1000 } },
    }).then((h) => (hearth = h));

  /** One message in each of `count` conversations, all at once. */
  const burst = async (count: number, label: string) => {
    for (let i = 0; i < count; i++) await adapter.inject({ text: `${label} ${i}`, conversation: { id: `room-${i}`, kind: 'direct' } });
  };
  const answers = () => adapter.sent.map((m) => m.text).sort();

  beforeEach(async () => {
    ({ database, ollama: first, adapter } = await openScenario(driver));
    second = await startFakeOllama();
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama: first, database });
    await second.close();
    for (const fake of extra.splice(0)) await fake.close();
    hearth = undefined;
  });

  it('spreads a burst over both servers, never more at once on one than its concurrency', async () => {
    first.answerDelayMs = second.answerDelayMs = scaled(150);
    const h = await start({ host: `${first.url},${second.url}` });
    await burst(8, 'hello');
    await h.hearth.gateway.idle(scaled(20_000));
    expect(answers()).toEqual(Array.from({ length: 8 }, (_, i) => `echo: hello ${i}`).sort());
    expect(first.chatRequests.length).toBeGreaterThanOrEqual(2);
    expect(second.chatRequests.length).toBeGreaterThanOrEqual(2);
    expect(first.chatRequests.length + second.chatRequests.length).toBe(8);
    expect(first.maxActiveChats).toBe(1);
    expect(second.maxActiveChats).toBe(1);
  });

  it('moves the turns of a server killed mid-burst to the other one, with no apology', async () => {
    first.answerDelayMs = second.answerDelayMs = scaled(200);
    const h = await start({ host: `${first.url},${second.url}` });
    await burst(10, 'question');
    await until(() => second.activeChats > 0, 'the second server is answering');
    await second.close();
    await h.hearth.gateway.idle(scaled(20_000));
    expect(adapter.sent.map((m) => m.text)).not.toContain(APOLOGY);
    expect(answers()).toEqual(Array.from({ length: 10 }, (_, i) => `echo: question ${i}`).sort());
    // The server was taken out: the rest of the burst went to the one that was left.
    expect(first.chatRequests.length).toBeGreaterThanOrEqual(9);
  });

  it('gives turns to a server again once it is back', async () => {
    const h = await start({ host: `${first.url},${second.url}`, serverRetryMs: scaled(300) });
    const port = Number(new URL(second.url).port);
    await second.close();
    await burst(2, 'while down');
    await h.hearth.gateway.idle(scaled(20_000));
    expect(answers()).toEqual(['echo: while down 0', 'echo: while down 1']);

    const back = await startFakeOllama({ port, answerDelayMs: scaled(150) });
    extra.push(back);
    first.answerDelayMs = scaled(150);
    // The probe notices the server is back without a turn having to fail there first.
    await until(() => h.hearth.ollama.status().every((s) => s.failures === 0), 'the restarted server is taken back');
    adapter.sent.length = 0;
    await burst(4, 'after');
    await h.hearth.gateway.idle(scaled(20_000));
    expect(answers()).toEqual(Array.from({ length: 4 }, (_, i) => `echo: after ${i}`).sort());
    expect(back.chatRequests.length).toBeGreaterThanOrEqual(1);
  });

  it('sends embeddings to OLLAMA_EMBED_HOST and chat to OLLAMA_HOST', async () => {
    const h = await start({ host: first.url, embedHost: second.url });
    await adapter.inject({ text: '/remember Olive likes plum jam' });
    await adapter.inject({ text: 'what jam do I like?' });
    await h.hearth.gateway.idle(scaled(20_000));
    expect(second.embedRequests.length).toBeGreaterThanOrEqual(1);
    expect(first.embedRequests).toHaveLength(0);
    expect(second.chatRequests).toHaveLength(0);
    expect(first.chatRequests).toHaveLength(1);
  });

  it('asks only the servers that have the model (ollama.servers)', async () => {
    second.models = ['qwen2.5:7b', 'nomic-embed-text:latest'];
    const h = await start({
      servers: [
        { url: first.url, models: ['qwen2.5:3b', 'nomic-embed-text'] },
        { url: second.url, models: ['qwen2.5:7b'], embed: false },
      ],
    });
    await burst(4, 'hi');
    await h.hearth.gateway.idle(scaled(20_000));
    expect(answers()).toHaveLength(4);
    expect(second.chatRequests).toHaveLength(0);
    expect(second.embedRequests).toHaveLength(0);
    expect(first.chatRequests).toHaveLength(4);
  });
});

it('names the key and the fix for a bad server list', () => {
  expect(() => loadConfig({ file: false, env: { OLLAMA_HOST: 'http://a:11434,not a url' } })).toThrow(/OLLAMA_HOST[\s\S]*separated by commas/);
  expect(() => loadConfig({ file: false, env: {}, overrides: { ollama: { servers: [{ url: 'http://a:11434', concurency: 1 }] } } })).toThrow(/ollama\.servers\.0[\s\S]*concurency/);
});

it('hearth doctor checks every server for the models it is used for', async () => {
  const chat = await startFakeOllama();
  const embed = await startFakeOllama({ models: ['qwen2.5:3b'] });
  try {
    const config = loadConfig({ file: false, env: { OLLAMA_HOST: chat.url, OLLAMA_EMBED_HOST: embed.url } });
    const checks = await checkOllama(config);
    expect(checks).toContainEqual(expect.objectContaining({ name: `chat model (${chat.url})`, ok: true }));
    expect(checks).toContainEqual(expect.objectContaining({ name: `embedding model (${embed.url})`, ok: false, fix: expect.stringContaining('ollama pull nomic-embed-text') }));
    expect(checks.map((c) => c.name)).not.toContain(`embedding model (${chat.url})`);
  } finally {
    await chat.close();
    await embed.close();
  }
});
