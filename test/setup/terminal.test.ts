/**
 * `hearth setup` as a person at the keyboard uses it: driven through a real pseudo-terminal
 * (node-pty) with arrow keys, space and enter, against the Telegram and Ollama stand-ins. The
 * model download shows a progress bar, a mistyped token is refused before anything is saved,
 * the token never shows on screen, and the owner is claimed by `/claim CODE`.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { household } from '../fakes/telegram-fixture.ts';
import { spawnHearth, type HearthProcess } from '../helpers/hearth-process.ts';
import { eventually } from '../helpers/eventually.ts';
import { scaled } from '../helpers/time-scale.ts';

const ENTER = '\r';
const SPACE = ' ';
const BACKSPACE = '\x7f';

describe('hearth setup in a terminal', () => {
  let ollama: FakeOllama;
  let telegram: FakeTelegram;
  let setup: HearthProcess | undefined;

  beforeEach(async () => {
    [ollama, telegram] = await Promise.all([startFakeOllama({ models: ['nomic-embed-text:latest'] }), startFakeTelegram()]);
    ollama.pull.stepDelayMs = 150; // slow enough for the bar to be drawn
  });
  afterEach(async () => {
    await setup?.stop();
    await Promise.all([ollama.close(), telegram.close()]);
  });

  it('asks step by step, pulls with a progress bar, takes the token hidden and claims the owner', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'hearth-setup-tty-'));
    const envFile = join(folder, '.env');
    const configFile = join(folder, 'hearth.config.yaml');
    const people = household(telegram);
    setup = spawnHearth(['setup'], { HEARTH_CONFIG: configFile, HEARTH_ENV_FILE: envFile, HEARTH_DATA_DIR: join(folder, 'data'), OLLAMA_HOST: ollama.url, TELEGRAM_API_ROOT: telegram.apiRoot }, { terminal: true });
    const answer = async (question: RegExp, keys: string) => {
      await setup!.waitFor(question, `the question ${question}`, 60_000);
      setup!.write(keys);
    };

    await answer(/Where does Ollama run\?/, ENTER); // the address it found in OLLAMA_HOST
    await setup.waitFor(/✓ Ollama 0\.12\.0-fake at http:\/\/127\.0\.0\.1/, 'the Ollama check');
    await answer(/Chat model/, ENTER); // the recommendation for this machine
    await answer(/Embedding model/, ENTER);
    const [, model] = await setup.waitFor(/Download (\S+) \([\d.]+ GB\) now\?/, 'the download question');
    setup.write(ENTER);
    await setup.waitFor(new RegExp(`✓ ${model!.replace(/[.:]/g, '\\$&')} pulled`), 'the pull', 60_000);
    expect(setup.output()).toMatch(/\d+% \| [\d.]+ (MB|GB) of [\d.]+ GB \| pulling/); // the bar, drawn as it went
    expect(ollama.pullRequests).toEqual([model]);

    await answer(/Which chat apps should Hearth answer on\?/, SPACE + ENTER); // Telegram is first
    await answer(/Telegram bot token/, `not-a-token${ENTER}`);
    await setup.waitFor(/does not look like a bot token/, 'the token to be refused');
    setup.write(BACKSPACE.repeat('not-a-token'.length) + telegram.token + ENTER);
    await setup.waitFor(/✓ Telegram: @hearth_test_bot \(Hearth\)/, 'the token check', 60_000);

    await answer(/Make your chat account the owner now\?/, ENTER);
    const [, code] = await setup.waitFor(/\/claim ([A-Z2-9]{8})/, 'the claim code', 90_000);
    telegram.post(people.aliceDm, people.alice, `/claim ${code}`);
    await setup.waitFor(/✓ telegram:1001 is the owner now/, 'the claim', 60_000);
    expect(await setup.exited()).toBe(0);
    await eventually(() => telegram.botMessages(people.aliceDm.id).some((m) => /owner now/.test(m.text)), 'the welcome on Telegram');

    // What was typed hidden never reached the screen; the file holding it is owner-only.
    expect(setup.output()).not.toContain(telegram.token.split(':')[1]);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).toContain(`TELEGRAM_BOT_TOKEN=${telegram.token}`);
    expect(parse(readFileSync(configFile, 'utf8'))).toMatchObject({ owner: 'telegram:1001', ollama: { model } });
  }, scaled(240_000));
});
