/** The sync loop's life: first start, invites, restarts, outages, bad tokens, doctor. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformConfigError, type Adapter } from '../../src/core/index.ts';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { caughtUp, eventually, fakeHomeserver, matrixAdapter, matrixContext, OWNER, STRANGER } from '../fakes/matrix-fixture.ts';

describe('matrix sync', () => {
  let fake: FakeMatrix;
  let adapters: Adapter[];
  const started = async (ctx: ReturnType<typeof matrixContext>, overrides = {}) => {
    const adapter = matrixAdapter(fake, overrides);
    adapters.push(adapter);
    await adapter.start(ctx.context);
    return adapter;
  };

  beforeEach(async () => {
    fake = await fakeHomeserver();
    adapters = [];
  });
  afterEach(async () => {
    for (const adapter of adapters) await adapter.stop();
    await fake.close();
  });

  it('does not answer the backlog on the very first start, then hands on what comes next', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    fake.text(dm, OWNER, 'an old message from before Hearth existed');
    const ctx = matrixContext();
    await started(ctx);
    fake.text(dm, OWNER, 'hello Hearth');
    await eventually(() => ctx.context.received.length === 1 || undefined, 'the new message');
    await caughtUp(fake);
    expect(ctx.context.received.map((m) => m.text)).toEqual(['hello Hearth']);
    expect(ctx.state.get('sync')).toMatchObject({ token: expect.stringMatching(/^s\d+$/) });
  });

  it('declines and audits invites from strangers; joins rooms the owner invites it to, answering only what follows', async () => {
    const strangers = fake.createRoom({ members: [STRANGER], botJoined: false, name: 'Free crypto' });
    fake.invite(strangers, STRANGER);
    const owners = fake.createRoom({ members: [OWNER], botJoined: false });
    fake.text(owners, OWNER, 'written before the bot was invited');
    fake.invite(owners, OWNER, { isDirect: true });
    const ctx = matrixContext();
    await started(ctx);

    await eventually(() => fake.membership(owners) === 'join' || undefined, 'the bot to join the owner\'s room');
    await eventually(() => fake.membership(strangers) === 'leave' || undefined, 'the stranger\'s invite to be declined');
    expect(ctx.audits).toContainEqual({ kind: 'invite.declined', subject: STRANGER, detail: { roomId: strangers, roomName: 'Free crypto', reason: 'inviter is not known to Hearth' } });
    expect(ctx.audits).toContainEqual({ kind: 'invite.accepted', subject: OWNER, detail: { roomId: owners } });

    fake.text(owners, OWNER, 'thanks for joining');
    await eventually(() => ctx.context.received.length === 1 || undefined, 'the message after the join');
    await caughtUp(fake);
    expect(ctx.context.received.map((m) => [m.text, m.conversation.kind])).toEqual([['thanks for joining', 'direct']]);
  });

  it('a later invite from a stranger, while running, is declined too', async () => {
    const ctx = matrixContext();
    await started(ctx);
    const room = fake.createRoom({ members: [STRANGER], botJoined: false });
    fake.invite(room, STRANGER);
    await eventually(() => fake.membership(room) === 'leave' || undefined, 'the invite to be declined');
    await eventually(() => ctx.audits.length > 0 || undefined, 'the declined invite to be audited');
    expect(ctx.audits.map((a) => a.kind)).toEqual(['invite.declined']);
  });

  it('after a restart replays nothing already handled and misses nothing sent while it was down', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const first = matrixContext();
    const adapter = await started(first);
    fake.text(dm, OWNER, 'before the restart');
    await eventually(() => first.context.received.length === 1 || undefined, 'the first message');
    await caughtUp(fake);
    await adapter.stop();

    fake.text(dm, OWNER, 'while down 1');
    fake.text(dm, OWNER, 'while down 2');
    const second = matrixContext({ state: first.state });
    await started(second);
    fake.text(dm, OWNER, 'after the restart');
    await eventually(() => second.context.received.length === 3 || undefined, 'the three new messages');
    await caughtUp(fake);
    expect(second.context.received.map((m) => m.text)).toEqual(['while down 1', 'while down 2', 'after the restart']);
  });

  it('fills a gap longer than one sync timeline from /messages after a long outage', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const first = matrixContext();
    const adapter = await started(first);
    fake.text(dm, OWNER, 'before');
    await eventually(() => first.context.received.length === 1 || undefined, 'the first message');
    await caughtUp(fake);
    await adapter.stop();

    for (let i = 1; i <= 120; i++) fake.text(dm, OWNER, `missed ${i}`);
    const second = matrixContext({ state: first.state });
    await started(second);
    await eventually(() => second.context.received.length === 120 || undefined, 'all 120 messages', 10_000);
    await caughtUp(fake);
    expect(second.context.received.map((m) => m.text)).toEqual(Array.from({ length: 120 }, (_, i) => `missed ${i + 1}`));
    expect(fake.callsTo('GET', /\/messages$/).length).toBeGreaterThan(0);
  });

  it('backs off while the homeserver is down (502 or connection reset) and recovers without duplicates', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const ctx = matrixContext();
    const adapter = await started(ctx);
    await eventually(() => adapter.health().ok || undefined, 'a healthy sync');

    for (const mode of ['http', 'reset'] as const) {
      fake.setDown(mode);
      await eventually(() => (!adapter.health().ok ? true : undefined), `health to report the outage (${mode})`);
      expect(adapter.health().detail).toMatch(/retrying/);
      const failedBefore = fake.calls.length;
      await eventually(() => fake.calls.length > failedBefore + 2 || undefined, 'a few retries');
      fake.text(dm, OWNER, `sent during the ${mode} outage`);
      fake.setDown(false);
      await eventually(() => adapter.health().ok || undefined, 'recovery');
    }
    await eventually(() => ctx.context.received.length === 2 || undefined, 'both messages');
    await caughtUp(fake);
    expect(ctx.context.received.map((m) => m.text)).toEqual(['sent during the http outage', 'sent during the reset outage']);
    expect(ctx.logs.some((l) => l.level === 'info' && l.message.includes('sync recovered'))).toBe(true);
  });

  it('starts while the homeserver is down and connects once it is back', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    fake.setDown('http');
    const ctx = matrixContext();
    const adapter = await started(ctx);
    expect(adapter.health().ok).toBe(false);
    fake.setDown(false);
    await eventually(() => adapter.health().ok || undefined, 'the first successful sync');
    fake.text(dm, OWNER, 'you made it');
    await eventually(() => ctx.context.received.length === 1 || undefined, 'the message');
    await caughtUp(fake);
    expect(ctx.context.received.map((m) => m.text)).toEqual(['you made it']);
  });

  it('starts afresh when the homeserver no longer knows the stored sync token', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    fake.text(dm, OWNER, 'old history');
    const ctx = matrixContext({ state: new Map([['sync', { token: 's99999', at: 0 }]]) });
    await started(ctx);
    await eventually(() => ctx.logs.some((l) => l.message.includes('rejected the stored sync token')) || undefined, 'the reset');
    // The fresh start takes a snapshot whose backlog is deliberately not answered: only a message
    // sent after that snapshot (a new token stored) must arrive.
    await eventually(() => ((ctx.state.get('sync') as { token?: string } | undefined)?.token ?? 's99999') !== 's99999' || undefined, 'the fresh sync token');
    fake.text(dm, OWNER, 'new message');
    await eventually(() => ctx.context.received.length === 1 || undefined, 'the new message');
    await caughtUp(fake);
    expect(ctx.context.received.map((m) => m.text)).toEqual(['new message']);
  });

  it('acknowledges the sync token only after the pipeline journaled the batch', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const ctx = matrixContext();
    const receive = ctx.context.receive;
    let failing = true;
    const tokensWhileFailing: unknown[] = [];
    ctx.context.receive = async (message) => {
      if (failing) {
        tokensWhileFailing.push(ctx.state.get('sync'));
        throw new Error('database briefly unavailable');
      }
      return receive(message);
    };
    await started(ctx);
    const acked = ctx.state.get('sync');
    fake.text(dm, OWNER, 'must not be lost');
    await eventually(() => tokensWhileFailing.length >= 2 || undefined, 'a retried batch');
    expect(ctx.state.get('sync')).toEqual(acked); // not advanced past the unjournaled message
    failing = false;
    await eventually(() => ctx.context.received.length === 1 || undefined, 'the message after the pipeline recovered');
    expect(ctx.context.received[0]!.text).toBe('must not be lost');
  });

  it('retries a sync that failed with 5xx or 429 from the same token', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const ctx = matrixContext();
    await started(ctx);
    fake.fail({ path: /^\/sync$/, status: 500, times: 2 });
    fake.fail({ path: /^\/sync$/, status: 429, retryAfterMs: 50 });
    fake.text(dm, OWNER, 'through the errors');
    await eventually(() => ctx.context.received.length === 1 || undefined, 'the message');
    const statuses = fake.callsTo('GET', /^\/sync$/).map((c) => c.status);
    expect(statuses).toEqual(expect.arrayContaining([500, 429]));
  });

  it('refuses to start with a bad token (M_UNKNOWN_TOKEN) and says how to fix it; doctor reports it', async () => {
    const adapter = matrixAdapter(fake, { accessToken: 'syt_wrong_token_value' });
    const error = await adapter.start(matrixContext().context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformConfigError);
    expect((error as PlatformConfigError).message).toContain('M_UNKNOWN_TOKEN');
    expect((error as PlatformConfigError).fix).toContain('MATRIX_ACCESS_TOKEN');
    expect((error as Error).message).not.toContain('syt_wrong_token_value');

    const checks = await adapter.doctor!();
    expect(checks.find((c) => c.name === 'matrix homeserver')?.ok).toBe(true);
    const token = checks.find((c) => c.name === 'matrix access token')!;
    expect(token.ok).toBe(false);
    expect(token.fix).toContain('MATRIX_ACCESS_TOKEN');
    expect(fake.callsTo('GET', /^\/sync$/)).toHaveLength(0); // doctor never starts receiving
  });

  it('stops syncing and reports the fix when the token is revoked while running', async () => {
    const ctx = matrixContext();
    const adapter = await started(ctx);
    await eventually(() => adapter.health().ok || undefined, 'a healthy sync');
    fake.revokeToken();
    fake.store.changed(); // wake the long poll
    fake.text(fake.createRoom({ members: [OWNER] }), OWNER, 'anyone?');
    await eventually(() => (!adapter.health().ok ? true : undefined), 'health to report the revoked token');
    expect(adapter.health().detail).toContain('M_UNKNOWN_TOKEN');
    const syncs = fake.callsTo('GET', /^\/sync$/).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.callsTo('GET', /^\/sync$/).length).toBe(syncs); // no hammering with a dead token
    expect(ctx.logs.some((l) => l.level === 'error' && String(l.fields.fix).includes('MATRIX_ACCESS_TOKEN'))).toBe(true);
  });

  it('refuses a token that belongs to another account, and encryption with a token that has no device, with clear fixes', async () => {
    const wrongUser = matrixAdapter(fake, { userId: '@someoneelse:hearth.test' });
    await expect(wrongUser.start(matrixContext().context)).rejects.toThrow(/belongs to @hearth:hearth.test/);
    const deviceless = fake.addDevice(fake.botUserId, '');
    const e2ee = matrixAdapter(fake, { encryption: true, accessToken: deviceless.token });
    await expect(e2ee.start(matrixContext().context)).rejects.toThrow(/has no device/);
  });

  it('routes matrix-js-sdk logging into Hearth\'s logger, quietly and without the token', async () => {
    const ctx = matrixContext();
    await started(ctx);
    const sdkLines = ctx.logs.filter((l) => String(l.fields.component ?? '').startsWith('matrix-js-sdk'));
    expect(sdkLines.some((l) => l.message.includes('FetchHttpApi'))).toBe(true);
    expect(sdkLines.every((l) => l.level === 'trace' || l.level === 'debug' || l.level === 'warn')).toBe(true);
    expect(JSON.stringify(ctx.logs)).not.toContain(fake.accessToken);
  });

  it('doctor checks the homeserver, the token and encrypted rooms without syncing', async () => {
    fake.createRoom({ members: [OWNER], name: 'Secret', encrypted: true });
    fake.createRoom({ members: [OWNER] });
    const checks = await matrixAdapter(fake).doctor!();
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['matrix homeserver', true],
      ['matrix access token', true],
      ['matrix encrypted rooms', false],
    ]);
    expect(checks[2]!.detail).toMatch(/encryption is off \(MATRIX_ENCRYPTION=false\); Hearth will not answer in: !room1:hearth.test/);
    expect(checks[2]!.fix).toMatch(/without encryption/);
    expect(fake.callsTo('GET', /^\/sync$/)).toHaveLength(0);
  });
});
