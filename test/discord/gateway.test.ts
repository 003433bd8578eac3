/**
 * Connecting to Discord and staying connected: intents, the API base, configuration errors a
 * newcomer can fix, `hearth doctor`, and the gateway faults discord.js must ride out (dropped
 * sockets, zombie connections, INVALID_SESSION) without losing or doubling messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordAdapter, type DiscordAdapterOptions } from '../../adapters/discord/index.ts';
import { PlatformConfigError, type Adapter } from '../../src/core/index.ts';
import { recordingContext } from '../contract/adapter-contract.ts';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from '../fakes/discord.ts';

let fake: FakeDiscord | undefined;
let adapter: Adapter | undefined;

async function setup(fakeOptions: FakeDiscordOptions = {}, adapterOptions: Partial<DiscordAdapterOptions> = {}) {
  fake = await startFakeDiscord(fakeOptions);
  adapter = createDiscordAdapter({ token: fake.token, apiBase: fake.apiBase, ...adapterOptions });
  return { fake, adapter, context: recordingContext() };
}

afterEach(async () => {
  await adapter?.stop();
  await fake?.close();
  adapter = undefined;
  fake = undefined;
});

/** Guilds (1 << 0) | GuildMessages (1 << 9) | DirectMessages (1 << 12) | MessageContent (1 << 15). */
const EXPECTED_INTENTS = (1 << 0) | (1 << 9) | (1 << 12) | (1 << 15);

describe('discord: connecting', () => {
  it('asks only for the intents it needs, over REST and a gateway found through the API base', async () => {
    const { fake, adapter, context } = await setup();
    await adapter.start(context);
    expect(adapter.health()).toMatchObject({ ok: true, detail: expect.stringContaining('connected as hearth') });
    const identify = fake.frames.find((f) => f.op === 2)!;
    expect(identify.d).toMatchObject({ intents: EXPECTED_INTENTS, token: '<redacted>', compress: false });
    expect(fake.connections[0]).toMatchObject({ path: '/gateway', query: { v: '10', encoding: 'json' } });
    expect(fake.connections[0]!.query.compress).toBeUndefined();
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/v10/gateway/bot', authorized: true });

    await adapter.stop();
    expect(adapter.health().ok).toBe(false);
  });

  it('explains a missing Message Content intent, at start and in doctor', async () => {
    const { fake, adapter, context } = await setup({ messageContentIntent: false });
    const error = await adapter.start(context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformConfigError);
    expect((error as PlatformConfigError).fix).toMatch(/Developer Portal|discord\.com\/developers/);
    expect((error as PlatformConfigError).fix).toContain('Privileged Gateway Intents');
    expect((error as PlatformConfigError).fix).toContain('Message Content');
    await fake.waitFor(() => fake.connections[0]!.closeCode === 4014, 'the gateway to close with 4014');
    expect(adapter.health()).toMatchObject({ ok: false, detail: expect.stringContaining('Message Content') });

    const checks = await adapter.doctor!();
    expect(checks.find((c) => c.name === 'discord token')).toMatchObject({ ok: true });
    expect(checks.find((c) => c.name === 'discord message content intent')).toMatchObject({ ok: false, fix: expect.stringContaining('Message Content') });
  });

  it('explains a token Discord refuses (401 on REST), without repeating the token', async () => {
    const { adapter, context } = await setup({ token: 'the-right-token' }, { token: 'a-wrong-token' });
    const error = await adapter.start(context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformConfigError);
    expect((error as PlatformConfigError).fix).toContain('Reset Token');
    expect(String((error as Error).message)).not.toContain('a-wrong-token');

    const checks = await adapter.doctor!();
    expect(checks).toEqual([expect.objectContaining({ name: 'discord token', ok: false, fix: expect.stringContaining('Reset Token') })]);
    expect(JSON.stringify(checks)).not.toContain('a-wrong-token');
  });

  it('explains a token the gateway refuses (close 4004)', async () => {
    const { adapter, context } = await setup({ identifyCloseCode: 4004 });
    const error = await adapter.start(context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformConfigError);
    expect((error as PlatformConfigError).fix).toContain('Reset Token');
    expect(adapter.health().ok).toBe(false);
  });

  it('doctor checks token, intent and gateway over REST without opening a gateway session', async () => {
    const { fake, adapter } = await setup();
    const checks = await adapter.doctor!();
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['discord token', true],
      ['discord message content intent', true],
      ['discord gateway', true],
    ]);
    expect(fake.connections).toEqual([]);
  });

  it('doctor says when Discord cannot be reached', async () => {
    const { fake, adapter } = await setup();
    await fake.close();
    const checks = await adapter.doctor!();
    expect(checks).toEqual([expect.objectContaining({ name: 'discord token', ok: false, detail: expect.stringContaining('could not reach discord') })]);
  });
});

describe('discord: gateway faults', () => {
  it.each([
    ['the socket dies without a close frame (1006)', 1006],
    ['Discord closes with 4000 (unknown error)', 4000],
  ])('%s: resumes, and the message sent meanwhile arrives once', async (_, code) => {
    const { fake, adapter, context } = await setup();
    await adapter.start(context);
    const { alice } = fake.world.people;
    const before = context.waitForMessage();
    fake.inject({ from: alice, in: 'dm', content: 'before' });
    await before;

    fake.gateway.drop(code);
    await fake.waitFor(() => !fake.gateway.connected, 'the stand-in to see the socket gone');
    fake.inject({ from: alice, in: 'dm', content: 'while the socket was down' });
    const replayed = await context.waitForMessage();
    expect(replayed.text).toBe('while the socket was down');

    expect(fake.gateway.identifies).toBe(1);
    expect(fake.gateway.resumes).toBe(1);
    expect(fake.connections[1]).toMatchObject({ path: '/resume' });
    await fake.waitFor(() => adapter.health().ok, 'health to recover');
    expect(context.received.map((m) => m.text)).toEqual(['before', 'while the socket was down']);
  });

  it('events replayed again on RESUME keep their event id, so the journal sees them once', async () => {
    const { fake, adapter } = await setup({ replayOverlap: 50 }, { messageCacheSize: 0 });
    const context = recordingContext();
    const calls: string[] = [];
    const receive = context.receive.bind(context);
    context.receive = async (message) => {
      calls.push(message.eventId);
      return receive(message);
    };
    await adapter.start(context);
    const first = context.waitForMessage();
    fake.inject({ from: fake.world.people.bob, in: 'dm', content: 'one' });
    const one = await first;

    fake.gateway.drop(1006);
    await fake.waitFor(() => !fake.gateway.connected, 'the socket gone');
    const second = context.waitForMessage();
    fake.inject({ from: fake.world.people.bob, in: 'dm', content: 'two' });
    await second;
    await fake.waitFor(() => calls.filter((id) => id === one.eventId).length === 2, 'the replayed copy of "one" to reach the pipeline');
    expect(context.received.map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('a zombie connection (heartbeats never acknowledged) is replaced and resumed', async () => {
    const { fake, adapter, context } = await setup({ heartbeatIntervalMs: 200 });
    await adapter.start(context);
    fake.gateway.stopAcking();
    fake.inject({ from: fake.world.people.alice, in: 'dm', content: 'into the void?' });
    const inbound = await context.waitForMessage();
    expect(inbound.text).toBe('into the void?');
    expect(fake.connections[0]!.closeCode).toBeDefined();
    expect(fake.gateway.resumes).toBe(1);
    expect(fake.gateway.identifies).toBe(1);
  });

  it('INVALID_SESSION leads to a fresh IDENTIFY, and messages flow again', { timeout: 20_000 }, async () => {
    const { fake, adapter, context } = await setup();
    await adapter.start(context);
    fake.gateway.invalidateSession(false);
    // discord.js spaces IDENTIFYs 5 s apart (Discord's identify rate limit), so this takes a moment.
    await fake.waitFor(() => fake.gateway.identifies === 2 && fake.gateway.connected, 'a second IDENTIFY', 15_000);
    const arriving = context.waitForMessage();
    fake.inject({ from: fake.world.people.alice, in: 'dm', content: 'still there?' });
    expect((await arriving).text).toBe('still there?');
    await fake.waitFor(() => adapter.health().ok, 'health to recover');
  });
});
