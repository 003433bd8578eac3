/**
 * Starting, stopping and staying connected: token checks and `hearth doctor`, command
 * registration, offset persistence across restarts, getUpdates faults, 409 and webhook mode.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformConfigError, type Adapter, type AdapterContext, type ReceiveOutcome } from '../../src/core/index.ts';
import { recordingContext } from '../contract/adapter-contract.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { auditingContext, eventually, household, telegramAdapterFor } from '../fakes/telegram-fixture.ts';

let fake: FakeTelegram;
const started: Adapter[] = [];

beforeEach(async () => {
  fake = await startFakeTelegram();
});
afterEach(async () => {
  for (const adapter of started.splice(0)) await adapter.stop();
  await fake.close();
});

async function start<C extends AdapterContext = ReturnType<typeof recordingContext>>(adapter: Adapter, context: C = recordingContext() as unknown as C): Promise<C> {
  started.push(adapter);
  await adapter.start(context);
  return context;
}

describe('token', () => {
  it('fails at start with a PlatformConfigError that says how to fix it, without the token', async () => {
    const wrong = '123456789:AAWrongTokenWrongTokenWrongToken12';
    const adapter = telegramAdapterFor(fake, { token: wrong });
    const error = await adapter.start(recordingContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformConfigError);
    expect((error as Error).message).toMatch(/BotFather/);
    expect((error as Error).message).not.toContain('AAWrongToken');
    expect(fake.callsTo('getUpdates')).toHaveLength(0);
    expect(adapter.health().ok).toBe(false);
  });

  it('rejects a value that is not a bot token before calling Telegram', async () => {
    const adapter = telegramAdapterFor(fake, { token: 'paste-your-token-here' });
    await expect(adapter.start(recordingContext())).rejects.toBeInstanceOf(PlatformConfigError);
    expect(fake.calls).toHaveLength(0);
  });

  it('doctor reports a rejected token with the fix, and a good one by bot name, without receiving', async () => {
    const bad = await telegramAdapterFor(fake, { token: '123456789:AAWrongTokenWrongTokenWrongToken12' }).doctor!();
    expect(bad).toEqual([expect.objectContaining({ name: 'telegram bot token', ok: false, fix: expect.stringMatching(/BotFather/) })]);
    const good = await telegramAdapterFor(fake).doctor!();
    expect(good[0]).toMatchObject({ name: 'telegram bot token', ok: true, detail: expect.stringContaining(`@${fake.bot.username}`) });
    expect(good[0]!.detail).toMatch(/privacy mode is on/);
    expect(good.every((check) => check.ok)).toBe(true);
    expect(fake.callsTo('getUpdates')).toHaveLength(0);
    expect(fake.callsTo('deleteWebhook')).toHaveLength(0);
  });

  it('keeps trying in the background when Telegram is unreachable at boot', async () => {
    const { alice, aliceDm } = household(fake);
    fake.fail('getMe', { kind: 'network' }, 2);
    fake.fail('getMe', { kind: 'server-error' });
    const adapter = telegramAdapterFor(fake, { polling: { timeoutSeconds: 5, retryMinMs: 100, retryMaxMs: 200 } });
    const context = await start(adapter);
    expect(adapter.health()).toMatchObject({ ok: false, detail: expect.stringMatching(/Telegram/) });
    fake.post(aliceDm, alice, 'are you up?');
    await eventually(() => context.received.length === 1, 'the message once Telegram is reachable');
    expect(fake.calls.filter((c) => c.method === 'getMe').map((c) => c.status)).toEqual([0, 0, 500, 200]);
    expect(adapter.health().ok).toBe(true);
  });

  it('doctor says when Telegram cannot be reached', async () => {
    const adapter = telegramAdapterFor(fake, { apiRoot: 'http://127.0.0.1:9' });
    const checks = await adapter.doctor!();
    expect(checks).toEqual([expect.objectContaining({ name: 'telegram reachable', ok: false, fix: expect.stringContaining('TELEGRAM_API_ROOT') })]);
  });
});

describe('bot commands', () => {
  it('registers the command list once and again only when it changes', async () => {
    const context = recordingContext();
    const first = telegramAdapterFor(fake);
    await start(first, context);
    await first.stop();
    const second = telegramAdapterFor(fake);
    await start(second, { ...context });
    await second.stop();
    expect(fake.callsTo('setMyCommands')).toHaveLength(1);
    expect(fake.commands()).toEqual([{ command: 'help', description: 'What Hearth can do for you' }]);

    const third = telegramAdapterFor(fake);
    await start(third, { ...context, commands: [...context.commands, { name: 'forget', description: 'Forget what I told you' }] });
    expect(fake.callsTo('setMyCommands')).toHaveLength(2);
    expect(fake.commands().map((c) => c.command)).toEqual(['help', 'forget']);
  });
});

describe('long polling', () => {
  it('advances the offset only after the pipeline journaled the update', async () => {
    const { alice, aliceDm } = household(fake);
    const context = recordingContext();
    const journal = context.receive;
    // Down for longer than the adapter's own attempts, so it cannot set the update aside either.
    let failures = 3;
    context.receive = async (message): Promise<ReceiveOutcome> => {
      if (failures-- > 0) throw new Error('database is restarting');
      return journal(message);
    };
    context.setAside = async () => {
      if (failures >= 0) throw new Error('database is restarting');
    };
    const posted = fake.post(aliceDm, alice, 'keep me');
    const update = fake.pendingUpdates()[0]!;
    await start(telegramAdapterFor(fake), context);
    await eventually(() => context.received.length === 1, 'the update after the failed attempt');
    expect(context.received[0]!.messageId).toBe(String(posted.message_id));
    await eventually(() => fake.callsTo('getUpdates').some((p) => p.offset === update.update_id + 1), 'the acknowledging getUpdates');
    const offsetsBefore = fake.callsTo('getUpdates').filter((p) => p.offset === update.update_id + 1);
    expect(offsetsBefore.length).toBeGreaterThan(0);
    // The failed attempt did not acknowledge: the update was fetched again with the old offset.
    expect(fake.callsTo('getUpdates').filter((p) => p.offset === undefined).length).toBeGreaterThanOrEqual(2);
    expect(await context.state.get('polling.offset')).toMatchObject({ offset: update.update_id + 1 });
  });

  it('resumes after a restart from the stored offset: nothing replayed, nothing skipped', async () => {
    const { alice, aliceDm } = household(fake);
    const context = recordingContext();
    const first = telegramAdapterFor(fake);
    await start(first, context);
    await eventually(() => fake.callsTo('getUpdates').length === 1, 'the first long poll');
    // The acknowledging getUpdates never reaches Telegram: it will offer the update again.
    fake.fail('getUpdates', { kind: 'network' }, 1_000);
    fake.post(aliceDm, alice, 'before restart');
    await eventually(() => context.received.length === 1, 'the first message');
    await first.stop();
    fake.clearFaults();
    expect(fake.pendingUpdates().map((u) => u.message?.text)).toEqual(['before restart']);
    fake.post(aliceDm, alice, 'while down');

    const second = recordingContext();
    await start(telegramAdapterFor(fake), { ...second, state: context.state });
    await eventually(() => second.received.length === 1, 'the message sent while down');
    fake.post(aliceDm, alice, 'after restart');
    await eventually(() => second.received.length === 2, 'the message after restart');
    expect(second.received.map((m) => m.text)).toEqual(['while down', 'after restart']);
  });

  it('backs off on 5xx, bad gateway and dropped connections, then recovers', async () => {
    const { alice, aliceDm } = household(fake);
    fake.fail('getUpdates', { kind: 'server-error' });
    fake.fail('getUpdates', { kind: 'bad-gateway' });
    fake.fail('getUpdates', { kind: 'network' });
    fake.post(aliceDm, alice, 'eventually');
    const adapter = telegramAdapterFor(fake);
    const context = await start(adapter);
    await eventually(() => context.received.length === 1, 'the message after the faults');
    expect(fake.calls.filter((c) => c.method === 'getUpdates').slice(0, 4).map((c) => c.status)).toEqual([500, 502, 0, 200]);
    expect(adapter.health()).toMatchObject({ ok: true });
  });

  it('stops on 409 Conflict instead of fighting another instance, and says so in health', async () => {
    const { alice, aliceDm } = household(fake);
    fake.fail('getUpdates', { kind: 'conflict' });
    const adapter = telegramAdapterFor(fake);
    const context = await start(adapter);
    await eventually(() => !adapter.health().ok, 'health to report the conflict');
    expect(adapter.health().detail).toMatch(/409|Conflict/);
    expect(adapter.health().detail).toMatch(/Another process is receiving updates for this bot token/);
    fake.post(aliceDm, alice, 'nobody polls');
    // With 20 ms back-off a fighting poller would call again many times in this window.
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.callsTo('getUpdates')).toHaveLength(1);
    expect(context.received).toHaveLength(0);
  });

  it('removes a leftover webhook before polling', async () => {
    const { alice, aliceDm } = household(fake);
    await telegramAdapterFor(fake, { webhook: { url: 'https://old.example/hook', secret: 'old-secret' } }).start(recordingContext());
    const context = await start(telegramAdapterFor(fake));
    fake.post(aliceDm, alice, 'through polling');
    await eventually(() => context.received.length === 1, 'the polled message');
    expect(fake.webhook()).toBeNull();
  });
});

describe('webhook mode', () => {
  const secret = 'a-long-webhook-secret_123';
  const hook = { url: 'https://hearth.example/telegram/webhook', secret };

  function post(adapter: Adapter, body: unknown, headers: Record<string, string> = {}) {
    return adapter.webhook!.handle(new Request(`http://hearth.local${adapter.webhook!.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
  }

  it('registers the webhook with its secret and does not poll', async () => {
    const adapter = telegramAdapterFor(fake, { webhook: hook });
    await start(adapter);
    expect(fake.webhook()).toEqual({ url: hook.url, secret });
    expect(adapter.webhook).toMatchObject({ method: 'POST', path: '/telegram/webhook' });
    expect(adapter.health()).toMatchObject({ ok: true });
    expect(fake.callsTo('getUpdates')).toHaveLength(0);
  });

  it('accepts updates carrying the secret and refuses (401, audited) those without it', async () => {
    const { alice, aliceDm } = household(fake);
    const adapter = telegramAdapterFor(fake, { webhook: hook });
    const context = await start(adapter, auditingContext());
    const update = { update_id: 1, message: { message_id: 7, date: 1_700_000_000, chat: aliceDm, from: alice, text: 'via webhook' } };

    const missing = await post(adapter, update);
    const wrong = await post(adapter, update, { 'X-Telegram-Bot-Api-Secret-Token': 'guess' });
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(context.received).toHaveLength(0);
    expect(context.audits).toEqual([
      { kind: 'webhook.rejected', subject: 'telegram', detail: { reason: 'missing secret token header', path: '/telegram/webhook', client: 'unknown' }, source: 'unknown' },
      { kind: 'webhook.rejected', subject: 'telegram', detail: { reason: 'wrong secret token', path: '/telegram/webhook', client: 'unknown' }, source: 'unknown' },
    ]);
    expect(JSON.stringify(context.audits)).not.toContain('guess');

    const good = await post(adapter, update, { 'X-Telegram-Bot-Api-Secret-Token': secret });
    expect(good.status).toBe(200);
    expect(context.received.map((m) => m.text)).toEqual(['via webhook']);
  });

  it('answers 503 when the pipeline cannot journal, so Telegram retries', async () => {
    const { alice, aliceDm } = household(fake);
    const adapter = telegramAdapterFor(fake, { webhook: hook });
    const context = recordingContext();
    context.receive = async () => {
      throw new Error('database unavailable');
    };
    // The database is down, so the update cannot be set aside either.
    context.setAside = async () => {
      throw new Error('database unavailable');
    };
    await start(adapter, context);
    const response = await post(adapter, { update_id: 2, message: { message_id: 8, date: 1, chat: aliceDm, from: alice, text: 'hi' } }, { 'X-Telegram-Bot-Api-Secret-Token': secret });
    expect(response.status).toBe(503);
  });

  it('refuses an http:// URL or a secret Telegram would not accept, at start', async () => {
    await expect(telegramAdapterFor(fake, { webhook: { url: 'http://hearth.example/hook', secret } }).start(recordingContext())).rejects.toBeInstanceOf(PlatformConfigError);
    await expect(telegramAdapterFor(fake, { webhook: { url: hook.url, secret: 'has spaces!' } }).start(recordingContext())).rejects.toThrow(/TELEGRAM_WEBHOOK_SECRET/);
    expect(fake.callsTo('setWebhook')).toHaveLength(0);
  });
});
