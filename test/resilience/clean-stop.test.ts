/**
 * Clean stops at any moment: a real `hearth start` (Telegram stand-in, embedded database) gets
 * SIGTERM at several moments of start-up and after it is ready. Each time it says it is stopping
 * and exits 0 — never killed with the database open — and the next start on the same data folder
 * opens the database as it was left and answers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { spawnHearth, type HearthProcess } from '../helpers/hearth-process.ts';
import { eventually } from '../helpers/eventually.ts';

describe('SIGTERM during start-up and operation', () => {
  let ollama: FakeOllama;
  let telegram: FakeTelegram;
  let env: Record<string, string>;
  beforeAll(async () => {
    [ollama, telegram] = await Promise.all([startFakeOllama(), startFakeTelegram()]);
    env = {
      HEARTH_CONFIG: 'hearth.config.example.yaml',
      HEARTH_DATA_DIR: mkdtempSync(join(tmpdir(), 'hearth-stop-')),
      HEARTH_HTTP_PORT: '0',
      HEARTH_LOG_FORMAT: 'json',
      HEARTH_OWNER: 'telegram:1001',
      OLLAMA_HOST: ollama.url,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
    };
  });
  afterAll(() => Promise.all([ollama.close(), telegram.close()]));

  async function stopsCleanly(hearth: HearthProcess): Promise<void> {
    await hearth.stop();
    expect(await hearth.exited()).toBe(0);
    expect(hearth.output()).toMatch(/"msg":"stopping/);
    expect(hearth.output()).not.toMatch(/did not start|"level":50/);
  }

  // One data folder throughout: every start after the first proves the one before left it intact.
  const moments: Array<[string, (hearth: HearthProcess) => Promise<unknown>]> = [
    ['right after the database was opened (created from the template, or migrated)', (hearth) => hearth.waitFor(/database (migrated|up to date)/, 'the database', 60_000)],
    ['while Telegram is being connected', async () => eventually(() => telegram.callsTo('getMe').length > calls.getMe, 'the first Telegram call', 60_000)],
    ['once Telegram polling started, before "ready"', async () => eventually(() => telegram.callsTo('getUpdates').length > calls.getUpdates, 'the first getUpdates', 60_000)],
    ['when Hearth is ready', (hearth) => hearth.waitFor(/Hearth is ready/, 'ready', 60_000)],
  ];
  const calls = { getMe: 0, getUpdates: 0 };

  it.each(moments)('stops cleanly %s', async (_moment, reached) => {
    calls.getMe = telegram.callsTo('getMe').length;
    calls.getUpdates = telegram.callsTo('getUpdates').length;
    const hearth = spawnHearth(['start'], env);
    try {
      await reached(hearth);
      await stopsCleanly(hearth);
    } finally {
      await hearth.stop();
    }
  });

  it('starts again on the same data folder afterwards and answers', async () => {
    const hearth = spawnHearth(['start'], env);
    try {
      await hearth.waitFor(/Hearth is ready/, 'ready', 60_000);
      const alice = telegram.person(1001, 'Alice', 'alice');
      ollama.reply('Still here, Alice.');
      telegram.post(telegram.privateChat(alice), alice, 'are you there?');
      await eventually(() => telegram.botMessages().some((m) => m.text === 'Still here, Alice.'), 'the answer', 60_000);
      await stopsCleanly(hearth);
    } finally {
      await hearth.stop();
    }
  });
});
