/**
 * `hearth setup --non-interactive`, as a script or Docker would run it, against the Telegram and
 * Ollama stand-ins: the token is checked live, the missing model is pulled, .env is written
 * owner-only beside what was there, the config keeps its comments, and the owner is claimed by
 * `/claim CODE` (a wrong code refused first); a second run changes nothing. Then `hearth start`
 * runs on what setup wrote, a reused code is refused, and `hearth owner claim` works through the
 * running Hearth.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { household } from '../fakes/telegram-fixture.ts';
import { eventually } from '../helpers/eventually.ts';
import { spawnHearth, type HearthProcess } from '../helpers/hearth-process.ts';
import { scaled } from '../helpers/time-scale.ts';
import { freePort } from '../helpers/free-port.ts';

describe('hearth setup, non-interactive', () => {
  let ollama: FakeOllama;
  let telegram: FakeTelegram;
  let folder: string;
  let env: Record<string, string>;
  const running: HearthProcess[] = [];
  const run = (args: string[], extra: Record<string, string> = {}) => {
    const child = spawnHearth(args, { ...env, ...extra });
    running.push(child);
    return child;
  };

  beforeEach(async () => {
    [ollama, telegram] = await Promise.all([startFakeOllama(), startFakeTelegram()]);
    folder = mkdtempSync(join(tmpdir(), 'hearth-setup-'));
    env = { HEARTH_CONFIG: join(folder, 'hearth.config.yaml'), HEARTH_ENV_FILE: join(folder, '.env'), HEARTH_DATA_DIR: join(folder, 'data'), HEARTH_HTTP_PORT: String(await freePort()) };
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((child) => child.stop()));
    await Promise.all([ollama.close(), telegram.close()]);
  });

  const replyTo = async (chatId: number, count: number) => (await eventually(() => telegram.botMessages(chatId).length >= count && telegram.botMessages(chatId), `reply ${count} in chat ${chatId}`, 30_000)).at(-1)!.text;

  it('checks the token, pulls the model, writes .env (0600) and the config, and claims the owner', async () => {
    const people = household(telegram);
    writeFileSync(env.HEARTH_ENV_FILE!, '# my own notes\nSOMETHING_ELSE=kept\nTELEGRAM_BOT_TOKEN=\n', { mode: 0o644 });
    writeFileSync(env.HEARTH_CONFIG!, '# how we run Hearth at home\nagent:\n  name: Hearth # our name for it\n');

    const setup = run(['setup', '--non-interactive', '--claim', '--ollama-host', ollama.url, '--model', 'qwen2.5:1.5b', '--telegram-api-root', telegram.apiRoot], { TELEGRAM_BOT_TOKEN: telegram.token });
    await setup.waitFor(/✓ Telegram: @hearth_test_bot \(Hearth\)\s+Open a chat with it: https:\/\/t\.me\/hearth_test_bot/, 'the token check and the link', 60_000);
    expect(ollama.pullRequests).toEqual(['qwen2.5:1.5b']); // nomic-embed-text was there already
    const [, code] = await setup.waitFor(/\/claim ([A-Z2-9]{8})/, 'the claim code', 60_000);

    telegram.post(people.aliceDm, people.alice, '/claim WRONG234');
    expect(await replyTo(people.aliceDm.id, 1)).toMatch(/doesn't work/);
    telegram.post(people.aliceDm, people.alice, `/claim ${code}`);
    expect(await replyTo(people.aliceDm.id, 2)).toMatch(/owner now/);
    await setup.waitFor(/✓ telegram:1001 is the owner now/, 'the claim to be seen');
    expect(await setup.exited()).toBe(0);

    const dotenv = readFileSync(env.HEARTH_ENV_FILE!, 'utf8');
    expect(statSync(env.HEARTH_ENV_FILE!).mode & 0o777).toBe(0o600);
    expect(dotenv).toMatch(/^# my own notes\nSOMETHING_ELSE=kept\nTELEGRAM_BOT_TOKEN=\d+:/);
    expect(dotenv).toMatch(/^HEARTH_ADMIN_TOKEN=[0-9a-f]{64}$/m);
    const yaml = readFileSync(env.HEARTH_CONFIG!, 'utf8');
    expect(yaml).toContain('# how we run Hearth at home');
    expect(yaml).toContain('# our name for it');
    expect(parse(yaml)).toMatchObject({ owner: 'telegram:1001', agent: { name: 'Hearth' }, ollama: { host: ollama.url, model: 'qwen2.5:1.5b', embedModel: 'nomic-embed-text' }, telegram: { apiRoot: telegram.apiRoot } });
    expect(yaml).not.toContain(telegram.token);
    expect(setup.output()).not.toContain(telegram.token.split(':')[1]);

    // Run again with nothing new: it checks what is there and changes nothing.
    const files = () => [readFileSync(env.HEARTH_ENV_FILE!, 'utf8'), readFileSync(env.HEARTH_CONFIG!, 'utf8')];
    const before = files();
    const again = run(['setup', '--non-interactive', '--no-claim']);
    expect(await again.exited()).toBe(0);
    expect(again.output()).toMatch(/✓ Telegram: @hearth_test_bot[\s\S]*✓ owner: telegram:1001/);
    expect(files()).toEqual(before);
    expect(ollama.pullRequests).toHaveLength(1);

    // `hearth start` runs on what setup wrote; the used code makes nobody else the owner.
    const start = run(['start']);
    await start.waitFor(/Hearth is ready/, 'Hearth to start', 60_000);
    telegram.post(people.bobDm, people.bob, `/claim ${code}`);
    expect(await replyTo(people.bobDm.id, 1)).toMatch(/doesn't work/);

    // While it runs (holding the embedded database), `hearth owner claim` goes through its admin API.
    const claim = run(['owner', 'claim']);
    const [, second] = await claim.waitFor(/\/claim ([A-Z2-9]{8})/, 'a second claim code', 60_000);
    telegram.post(people.bobDm, people.bob, `/claim ${second}`);
    expect(await replyTo(people.bobDm.id, 2)).toMatch(/owner now/);
    await claim.waitFor(/✓ telegram:1002 is the owner now/, 'the second claim');
    expect(await claim.exited()).toBe(0);
  }, scaled(240_000));

  it('stops before writing anything when a given token is rejected', async () => {
    const setup = run(['setup', '--non-interactive', '--no-pull', '--ollama-host', ollama.url, '--telegram-api-root', telegram.apiRoot], { TELEGRAM_BOT_TOKEN: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(await setup.exited()).toBe(1);
    expect(setup.output()).toMatch(/✗ Telegram: Telegram rejected this token/);
    expect(() => statSync(env.HEARTH_ENV_FILE!)).toThrow();
  }, scaled(120_000));
});
