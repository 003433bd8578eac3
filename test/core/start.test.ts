/**
 * `hearth start` as an owner runs it: a real process configured only through the environment,
 * connected to the Telegram Bot API stand-in and the Ollama stand-in. A DM gets answered, the
 * token never shows in the logs, and SIGTERM stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { eventually } from '../fakes/telegram-fixture.ts';

describe('hearth start', () => {
  let ollama: FakeOllama;
  let telegram: FakeTelegram;
  afterEach(async () => {
    await ollama?.close();
    await telegram?.close();
  });

  it('connects Telegram from the environment, answers a DM, keeps the token out of logs, stops on SIGTERM', async () => {
    ollama = await startFakeOllama();
    telegram = await startFakeTelegram();
    const alice = telegram.person(1001, 'Alice', 'alice');
    const child = spawn(process.execPath, ['bin/hearth.js', 'start'], {
      env: {
        PATH: process.env.PATH ?? '',
        HEARTH_CONFIG: 'hearth.config.example.yaml',
        HEARTH_DATA_DIR: mkdtempSync(join(tmpdir(), 'hearth-start-')),
        HEARTH_HTTP_PORT: '0',
        HEARTH_OWNER: 'telegram:1001',
        OLLAMA_HOST: ollama.url,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await eventually(() => output.includes('"Hearth is ready"') || undefined, `Hearth to be ready; output so far:\n${output}`, 20_000);
      ollama.reply('Hello Alice, good to hear from you.');
      telegram.post(telegram.privateChat(alice), alice, 'hello hearth');
      const answer = await eventually(() => telegram.botMessages().find((m) => m.text.includes('Hello Alice')), 'the answer on Telegram', 20_000);
      expect(answer.chatId).toBe(1001);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(/"msg":"message handled"/);
    expect(output).toMatch(/Discord: not configured/);
    // bin/hearth.js runs Node with its memory settings (docs/scaling.md).
    expect(output).toMatch(/"node":"v[\d.]+ [^"]*--max-semi-space-size=\d+ --liftoff-only/);
    expect(output).not.toContain(telegram.token.split(':')[1]!);
  });
});
