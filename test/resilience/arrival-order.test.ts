/**
 * Order of arrival is the order of answering: lines piped into a real `hearth chat` are answered
 * one by one, in the order typed, on both database drivers — the model sees each line with only
 * the earlier ones in its history, and each reply is printed in its line's place.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeOllama, personText, type FakeOllama } from '../fakes/ollama.ts';
import { runHearth } from '../helpers/run-hearth.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { eventually, household, telegramAdapterFor } from '../fakes/telegram-fixture.ts';

describeEachDriver('lines piped into `hearth chat` on %s', (driver) => {
  let ollama: FakeOllama;
  let database: TestDatabase;
  beforeAll(async () => {
    ollama = await startFakeOllama();
    database = await createTestDatabase(driver);
  });
  afterAll(async () => {
    await ollama.close();
    await database.drop();
  });

  const env = () => ({ OLLAMA_HOST: ollama.url, HEARTH_DATA_DIR: database.dataDir, ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}) });

  it.each([2, 20])('answers %i lines in the order they were typed', async (count) => {
    const lines = Array.from({ length: count }, (_, i) => `line ${i + 1} of ${count}`);
    const asked = ollama.chatRequests.length;
    const result = await runHearth(['chat'], env(), { input: `${lines.join('\n')}\n`, timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(lines.map((line) => `echo: ${line}\n`).join(''));
    // Each question reached the model after the earlier ones were answered, never before.
    const questions = ollama.chatRequests.slice(asked).map((request) => request.messages.filter((m) => m.role === 'user').map((m) => personText(m.content)).filter((text) => text.endsWith(`of ${count}`)));
    expect(questions).toEqual(lines.map((_, i) => lines.slice(0, i + 1)));
  });
});

describeEachDriver('a Telegram batch on %s', (driver) => {
  let ollama: FakeOllama;
  let telegram: FakeTelegram;
  let database: TestDatabase;
  let hearth: Hearth | undefined;
  beforeAll(async () => {
    [ollama, telegram, database] = await Promise.all([startFakeOllama(), startFakeTelegram(), createTestDatabase(driver)]);
  });
  afterAll(async () => {
    await hearth?.stop();
    await Promise.all([ollama.close(), telegram.close()]);
    await database.drop();
  });

  it('is answered message by message in the order sent, even with several turns allowed at once', async () => {
    const people = household(telegram);
    const texts = Array.from({ length: 8 }, (_, i) => `question ${i + 1}`);
    // Sent while Hearth is down: the first getUpdates hands them all over in one batch.
    for (const text of texts) telegram.post(people.aliceDm, people.alice, text);
    hearth = await startHearth({ adapters: [telegramAdapterFor(telegram)], owner: 'telegram:1001', ollama, dataDir: database.dataDir, databaseUrl: database.databaseUrl, config: { agent: { concurrency: 4, streaming: false } } });
    await eventually(() => telegram.botMessages(people.aliceDm.id).length === texts.length, 'every question to be answered');
    expect(telegram.botMessages(people.aliceDm.id).map((m) => m.text)).toEqual(texts.map((text) => `echo: ${text}`));
  });
});
