/**
 * `/remind` on each platform through its real client library and stand-in, and in `hearth chat`:
 * the reminder comes back in the chat it was set in; in a Discord channel it answers the message
 * that set it and pings its author (and nobody else); a reminder an owner sets for someone who
 * never wrote reaches them through a direct chat the adapter opens.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleAdapter } from '../../adapters/console/index.ts';
import { createDiscordAdapter } from '../../adapters/discord/index.ts';
import { ManualClock } from '../../src/pipeline/clock.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { eventually } from '../helpers/eventually.ts';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { household, telegramAdapterFor } from '../fakes/telegram-fixture.ts';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { fakeHomeserver, matrixAdapter, OWNER as MATRIX_OWNER } from '../fakes/matrix-fixture.ts';

const config = { timezone: 'Europe/Berlin', schedule: { checkIntervalMs: 50 }, agent: { streaming: false } };

describe('reminders on every platform', () => {
  let hearth: Hearth | undefined;
  let telegram: FakeTelegram | undefined;
  let discord: FakeDiscord | undefined;
  let matrix: FakeMatrix | undefined;
  const clock = new ManualClock('2027-03-26T09:00:00Z');
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await telegram?.close();
    await discord?.close();
    await matrix?.close();
    telegram = discord = matrix = undefined;
  });

  it('Telegram: a reminder set in a direct chat comes back there', async () => {
    telegram = await startFakeTelegram();
    const people = household(telegram);
    hearth = await startHearth({ adapters: [telegramAdapterFor(telegram)], owner: 'telegram:1001', clock, config });
    telegram.post(people.aliceDm, people.alice, '/remind in 2 seconds stretch your legs');
    await eventually(() => telegram!.botMessages(people.aliceDm.id).find((m) => m.text.startsWith("OK, I'll remind you on")), 'the confirmation');
    clock.advance(2_000);
    await eventually(() => telegram!.botMessages(people.aliceDm.id).find((m) => m.text === '⏰ reminder: stretch your legs'), 'the reminder');
  });

  it('Discord: same chat, a mention in a channel, and a DM opened for someone who never wrote', async () => {
    discord = await startFakeDiscord();
    const { alice, bob } = discord.world.people;
    const { general } = discord.world.channels;
    hearth = await startHearth({ adapters: [createDiscordAdapter({ token: discord.token, apiBase: discord.apiBase })], owner: `discord:${alice.id}`, clock, config });
    await hearth.hearth.gateway.people.create({ displayName: 'Bob', role: 'member', account: { platform: 'discord', accountId: bob.id, displayName: 'Bob' } });
    const aliceDm = discord.dmChannel(alice);
    discord.inject({ from: alice, in: 'dm', content: '/remind in 2 seconds stretch your legs' });
    discord.inject({ from: alice, in: general, content: `<@${discord.world.bot.id}> /remind in 1 minute take the cake out` });
    discord.inject({ from: alice, in: 'dm', content: '/remind @Bob in 1 minute bring the chairs' });
    await eventually(() => discord!.botMessages(general.id).find((m) => m.content.startsWith('OK')), 'the confirmation in the channel');
    await eventually(() => discord!.botMessages(aliceDm.id).filter((m) => m.content.startsWith('OK')).length === 2, 'two confirmations in the DM');

    clock.advance(2_000);
    await eventually(() => discord!.botMessages(aliceDm.id).find((m) => m.content === '⏰ reminder: stretch your legs'), 'the reminder in the DM');
    clock.advance(60_000);
    const inChannel = await eventually(() => discord!.botMessages(general.id).find((m) => m.content.startsWith('⏰')), 'the reminder in the channel');
    expect(inChannel.content).toMatch(/^⏰ .+, reminder: take the cake out$/);
    expect(inChannel.pings.users).toEqual([alice.id]);
    const bobDm = discord.dmChannel(bob);
    const forBob = await eventually(() => discord!.botMessages(bobDm.id).find((m) => m.content.startsWith('⏰')), "the reminder in Bob's DM");
    expect(forBob.content).toMatch(/^⏰ a reminder from .+: bring the chairs$/);
  });

  it('Matrix: a reminder set in a direct room comes back there', async () => {
    matrix = await fakeHomeserver();
    const dm = matrix.createRoom({ members: [MATRIX_OWNER] });
    hearth = await startHearth({ adapters: [matrixAdapter(matrix)], owner: `matrix:${MATRIX_OWNER}`, clock, config });
    matrix.text(dm, MATRIX_OWNER, '/remind in 2 seconds stretch your legs');
    await eventually(() => matrix!.botMessages(dm).find((m) => m.text.startsWith("OK, I'll remind you on")), 'the confirmation');
    clock.advance(2_000);
    await eventually(() => matrix!.botMessages(dm).find((m) => m.text === '⏰ reminder: stretch your legs'), 'the reminder');
  });

  it('hearth chat: the reminder is printed in the same terminal', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d: Buffer) => (printed += d.toString()));
    hearth = await startHearth({ adapters: [createConsoleAdapter({ input, output, interactive: false })], clock, config });
    input.write('/remind in 2 seconds stretch your legs\n');
    await eventually(() => printed.includes("OK, I'll remind you on"), 'the confirmation');
    clock.advance(2_000);
    await eventually(() => printed.includes('⏰ reminder: stretch your legs'), 'the reminder');
  });
});
