/**
 * Several real `hearth start` processes on one PostgreSQL, against the Telegram stand-in: every
 * message is answered exactly once, only one process polls at a time, a polling holder killed
 * with SIGKILL is replaced within the takeover time with nothing lost or doubled (its claimed
 * turns taken over at once, not after their lease), and in webhook mode any process receives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { spawnHearth, type HearthProcess } from '../helpers/hearth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { describeNeeding } from '../helpers/requirements.ts';
import { eventually } from '../helpers/eventually.ts';

interface Running {
  process: HearthProcess;
  url: string;
  /** The connections /readyz says this process holds. */
  held(): Promise<string[]>;
  /** Its liveness key, written on the journal claims it makes. */
  processId(): Promise<number>;
}

const PEOPLE = [1001, 1002, 1003, 1004];

describeNeeding('postgres', 'several Hearth processes on one PostgreSQL (Telegram)', () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let database: TestDatabase;
  let running: Running[] = [];
  const folders: string[] = [];

  beforeAll(async () => {
    ollama = await startFakeOllama();
  });
  afterAll(() => ollama.close());

  beforeEach(async () => {
    telegram = await startFakeTelegram();
    database = await createTestDatabase('postgres');
    ollama.always(undefined);
  });
  afterEach(async () => {
    await Promise.all(running.map((r) => r.process.stop()));
    running = [];
    await telegram.close();
    await database.drop();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  async function start(extra: Record<string, string> = {}): Promise<Running> {
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-multi-'));
    folders.push(dataDir);
    const process = spawnHearth(['start'], {
      DATABASE_URL: database.databaseUrl!,
      HEARTH_DATA_DIR: dataDir,
      HEARTH_HTTP_PORT: '0',
      HEARTH_LOG_FORMAT: 'json',
      HEARTH_OWNER: PEOPLE.map((id) => `telegram:${id}`).join(','),
      HEARTH_MESSAGES_PER_MINUTE: '1000',
      HEARTH_STREAMING: 'false',
      HEARTH_TAKEOVER_SECONDS: '3',
      OLLAMA_HOST: ollama.url,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      ...extra,
    });
    const ready = await process.waitFor(/"http":"(http:\/\/[^"]+)"[^\n]*Hearth is ready/, 'Hearth is ready', 60_000);
    const url = ready[1]!;
    const readyz = async () => ((await (await fetch(`${url}/readyz`)).json()) as { connections: { held: string[]; process: number } }).connections;
    const started: Running = {
      process,
      url,
      async held() {
        return (await readyz()).held;
      },
      async processId() {
        return (await readyz()).process;
      },
    };
    running.push(started);
    return started;
  }

  /** Posts `count` messages spread over the people's DMs; returns their texts. */
  function burst(count: number, tag: string): string[] {
    const texts: string[] = [];
    for (let i = 0; i < count; i++) {
      const person = telegram.person(PEOPLE[i % PEOPLE.length]!, `P${i % PEOPLE.length}`);
      const text = `${tag}-${i}`;
      telegram.post(telegram.privateChat(person), person, text);
      texts.push(text);
    }
    return texts;
  }

  /** Every text answered exactly once (the stand-in model echoes the person's words). */
  async function answeredOnce(texts: string[], ms = 60_000): Promise<void> {
    await eventually(() => texts.every((text) => answers(text) >= 1), `answers to all ${texts.length} messages`, ms);
    const counts = texts.map((text) => [text, answers(text)] as const).filter(([, n]) => n !== 1);
    expect(counts).toEqual([]);
  }
  const answers = (text: string) => telegram.botMessages().filter((m) => m.text === `echo: ${text}`).length;

  /** A model that echoes the person's words, each answer taking `ms`. */
  function slowEcho(ms: number): void {
    ollama.always((request) => {
      const last = [...request.messages].reverse().find((m) => m.role === 'user')!.content;
      const text = last.includes('\n\n') ? last.slice(last.indexOf('\n\n') + 2) : last;
      return { content: `echo: ${text}`, pieces: 2, pieceDelayMs: ms / 2 };
    });
  }

  async function holders(): Promise<string[][]> {
    return Promise.all(running.map((r) => r.held()));
  }

  it.each([2, 3])('%i gateways: one polls, all answer, each message is answered exactly once', async (count) => {
    // One turn at a time per process and more conversations (4) than processes: whoever claims a
    // conversation keeps it busy, so with more slots than conversations a late poller could find
    // none free.
    for (let i = 0; i < count; i++) await start({ HEARTH_CONCURRENCY: '1' });
    const held = await eventually(async () => {
      const all = await holders();
      return all.flat().length === 1 ? all : undefined;
    }, 'exactly one process holding telegram:polling');
    expect(held.flat()).toEqual(['telegram:polling']);

    // Answers that take a moment, as real ones do: the burst outlasts the other processes' journal
    // polls (an instant model lets the holder finish everything before anyone else looks).
    slowEcho(400);
    const texts = burst(40, `g${count}`);
    await answeredOnce(texts);
    expect(telegram.mostConcurrentPolls()).toBe(1);
    // The turns were spread: each process answered some (it logs every message it handled).
    for (const r of running) expect(r.process.output()).toMatch(/message handled/);
  });

  it('the polling holder killed with SIGKILL: another takes over, nothing is lost or answered twice', async () => {
    const [a, b] = [await start(), await start()];
    const holder = await eventually(async () => {
      const [heldA, heldB] = [await a.held(), await b.held()];
      return heldA.length ? a : heldB.length ? b : undefined;
    }, 'a polling holder');
    const other = holder === a ? b : a;

    // A slow model, so that the holder has claimed turns in progress when it dies.
    slowEcho(3_000);
    const before = burst(8, 'before');
    const holderId = await holder.processId();
    const sql = postgres(database.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      await eventually(async () => {
        const [row] = await sql`select count(*)::int as n from inbound_journal where status = 'processing' and claimed_by = ${holderId}`;
        return row!.n > 0;
      }, 'the holder working on a turn');
    } finally {
      await sql.end({ timeout: 1 });
    }
    holder.process.kill('SIGKILL');
    running = running.filter((r) => r !== holder);

    await eventually(async () => (await other.held()).includes('telegram:polling'), 'the other process holding telegram:polling', 15_000);
    const after = burst(8, 'after');
    await answeredOnce([...before, ...after]);
    // Its claims were taken over because its liveness lock died with it, not after their 60 s lease.
    expect(other.process.output()).toMatch(/taking over messages another Hearth process was answering when it died/);
  });

  it('webhook mode behind a load balancer: both processes receive, each update is answered once', async () => {
    const secret = 'multi-process-secret';
    const webhook = { TELEGRAM_WEBHOOK_URL: 'https://hearth.example/telegram/webhook', TELEGRAM_WEBHOOK_SECRET: secret };
    const [a, b] = [await start(webhook), await start(webhook)];
    expect(telegram.webhook()?.url).toBe(webhook.TELEGRAM_WEBHOOK_URL);
    expect([...(await a.held()), ...(await b.held())]).toEqual([]);

    // The load balancer: updates alternate between the two; one is delivered to both (a retry).
    const texts: string[] = [];
    for (let i = 0; i < 20; i++) {
      const person = telegram.person(PEOPLE[i % PEOPLE.length]!, `P${i}`);
      const text = `hook-${i}`;
      const message = telegram.post(telegram.privateChat(person), person, text);
      const update = JSON.stringify({ update_id: 700_000 + i, message });
      const targets = i === 7 ? [a, b] : [i % 2 ? a : b];
      for (const target of targets) {
        const response = await fetch(`${target.url}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body: update });
        expect(response.status).toBe(200);
      }
      texts.push(text);
    }
    await answeredOnce(texts);
  });
});
