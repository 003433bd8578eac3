/**
 * Reminders and routines end to end through the chat commands, with the gateway's clock moved by
 * hand: delivered where they were set (a group answer mentions the person), to another person's
 * direct chat, listed and cancelled, fired once and marked late after downtime, reported when
 * missed past the grace period, kept when a process dies holding one or the platform is down,
 * and routines run as their person with the permissions they have when they fire.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PlatformUnreachableError } from '../../src/core/index.ts';
import { ManualClock } from '../../src/pipeline/clock.ts';
import { ReminderStore } from '../../src/schedule/store.ts';
import { openDatabase } from '../../src/db/client.ts';
import { LEASE_MS } from '../../src/schedule/fire.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { eventually, until } from '../helpers/eventually.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import type { FakeOllama } from '../fakes/ollama.ts';
import { OWNER, addPerson, bob, bobDm, owner, ownerDm, testTools } from '../access/helpers.ts';

const MINUTE = 60_000;
const kitchen = { id: 'kitchen', kind: 'group' as const, title: 'Kitchen' };

describeEachDriver('reminders on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;
  let clock: ManualClock;

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
    // Friday 26 March 2027, 10:00 in Berlin.
    clock = new ManualClock('2027-03-26T09:00:00Z');
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  const start = async (extra: { config?: Record<string, unknown>; adapter?: TestAdapter; features?: Parameters<typeof startHearth>[0]['extraFeatures'] } = {}) =>
    (hearth = await startHearth({
      adapters: [extra.adapter ?? adapter],
      owner: OWNER,
      driver,
      dataDir: database.dataDir,
      databaseUrl: database.databaseUrl,
      ollama,
      clock,
      extraFeatures: extra.features,
      config: { timezone: 'Europe/Berlin', schedule: { checkIntervalMs: 50 }, ...extra.config },
    }));
  const say = async (h: Hearth, text: string, where: { conversation?: typeof ownerDm | typeof kitchen; sender?: typeof owner; messageId?: string } = {}) => {
    const before = adapter.sent.length;
    await adapter.inject({ conversation: where.conversation ?? ownerDm, sender: where.sender ?? owner, text, mentionsBot: true, ...(where.messageId ? { messageId: where.messageId } : {}) });
    await h.idle();
    return adapter.sent.slice(before).map((m) => m.text).join('\n');
  };
  const sentTo = (id: string, a = adapter) => a.sent.filter((m) => m.conversation.id === id).map((m) => m.text);
  const waitFor = (id: string, pattern: RegExp, a = adapter) => eventually(() => a.sent.find((m) => m.conversation.id === id && pattern.test(m.text)), `a message matching ${pattern} in ${id}`);

  it('delivers "/remind in 2 seconds" in the same direct chat, once', async () => {
    const h = await start();
    expect(await say(h, '/remind in 2 seconds stretch your legs')).toBe("OK, I'll remind you on Fri 26 Mar 2027 10:00 (Europe/Berlin): stretch your legs.");
    await h.idle();
    expect(sentTo(ownerDm.id).filter((t) => t.startsWith('⏰'))).toEqual([]);
    clock.advance(2_000);
    await waitFor(ownerDm.id, /^⏰ reminder: stretch your legs$/);
    clock.advance(MINUTE);
    await h.idle();
    expect(sentTo(ownerDm.id).filter((t) => t.startsWith('⏰'))).toHaveLength(1);
    expect((await h.audit()).map((a) => a.kind)).toEqual(expect.arrayContaining(['reminder.created', 'reminder.fired']));
  });

  it('sets a reminder from plain words through the remind tool, for the sender', async () => {
    const h = await start();
    ollama.reply({ toolCalls: [{ name: 'remind', arguments: { when: 'in 1 hour', text: 'check the oven' } }] }, 'I will remind you in an hour.');
    expect(await say(h, 'remind me in an hour to check the oven')).toContain('I will remind you in an hour.');
    expect(await say(h, '/reminders')).toContain('1. Fri 26 Mar 2027 11:00 (Europe/Berlin): check the oven');
    clock.advance(60 * MINUTE);
    await waitFor(ownerDm.id, /^⏰ reminder: check the oven$/);
    expect((await h.audit()).find((a) => a.kind === 'tool.called' && a.subject === 'remind')).toBeDefined();
  });

  it('answers a reminder set in a group there, mentioning the person, unless asked for in private', async () => {
    const h = await start();
    await say(h, 'hello'); // the owner's direct chat becomes known
    expect(await say(h, '/remind in 1 minute take the cake out', { conversation: kitchen, messageId: 'kitchen-7' })).toMatch(/I'll remind you here on Fri 26 Mar 2027 10:01/);
    expect(await say(h, '/remind in 1 minute privately buy a present', { conversation: kitchen })).toMatch(/I'll remind you in our direct chat on .*: buy a present/);
    clock.advance(MINUTE);
    const inGroup = await waitFor(kitchen.id, /^⏰.*take the cake out/);
    expect(inGroup.text).toMatch(/^⏰ Owner, reminder: take the cake out$/);
    expect(inGroup.replyToMessageId).toBe('kitchen-7');
    expect(inGroup.addressee?.accountId).toBe(owner.accountId);
    await waitFor(ownerDm.id, /^⏰ reminder: buy a present$/);
    expect(sentTo(kitchen.id).some((t) => t.startsWith('⏰') && t.includes('present'))).toBe(false);
  });

  it("reaches another person's direct chat, opening one when Bob never wrote", async () => {
    const opened: string[] = [];
    adapter.openDirect = async (accountId) => (opened.push(accountId), { id: `dm-for-${accountId}`, kind: 'direct' });
    const h = await start();
    await addPerson(h, 'Bob', 'member', { accountId: bob.accountId });
    expect(await say(h, '/remind @bob at 17:00 take the cake out')).toBe("OK, I'll remind Bob in a direct chat with Bob on Fri 26 Mar 2027 17:00 (Europe/Berlin): take the cake out.");
    expect(await say(h, '/remind Bob tomorrow at 8 feed the cat')).toMatch(/remind Bob .* Sat 27 Mar 2027 08:00/);
    clock.set('2027-03-26T16:00:00Z');
    const delivered = await waitFor(`dm-for-${bob.accountId}`, /take the cake out/);
    expect(delivered.text).toBe('⏰ a reminder from Owner: take the cake out');
    expect(opened).toEqual([bob.accountId]);
    // A member cannot address someone else with the command.
    await adapter.inject({ conversation: bobDm, sender: bob, text: '/remind @Olive in 5 minutes hi' });
    await h.idle();
    expect(sentTo(bobDm.id).at(-1)).toMatch(/Only owners can set reminders for someone else/);
  });

  it('lists reminders and routines numbered with the next time, and cancels by number', async () => {
    const h = await start();
    await say(h, '/remind tomorrow at 8 call the dentist');
    await say(h, '/remind every monday 9:00 put the bins out');
    await say(h, '/routine every weekday at 7:30 tell me what is on today');
    expect((await say(h, '/reminders')).split('\n')).toEqual(
      [
        'Your reminders and routines:',
        '1. Sat 27 Mar 2027 08:00 (Europe/Berlin): call the dentist',
        '2. routine, every weekday at 07:30, next Mon 29 Mar 2027 07:30 (Europe/Berlin): tell me what is on today',
        '3. every monday at 09:00, next Mon 29 Mar 2027 09:00 (Europe/Berlin): put the bins out',
        'Cancel one with /cancel <number>.',
      ],
    );
    expect(await say(h, '/cancel 1')).toBe('Cancelled the reminder: call the dentist');
    expect(await say(h, '/cancel 9')).toMatch(/There is no number 9; \/reminders shows numbers 1 to 2/);
    expect(await say(h, '/reminders')).toMatch(/^Your reminders and routines:\n1\. routine, every weekday/);
    clock.set('2027-03-27T07:00:00Z');
    await h.idle();
    await new Promise((r) => setTimeout(r, 200)); // a few checks run; nothing may fire
    expect(sentTo(ownerDm.id).some((t) => t.includes('dentist') && t.startsWith('⏰'))).toBe(false);
    expect((await h.audit()).some((a) => a.kind === 'reminder.cancelled')).toBe(true);
  });

  it('after downtime fires a missed one-off once marked late, reports one past the grace period, and a repeating one once', async () => {
    let h = await start({ config: { schedule: { checkIntervalMs: 50, graceMs: 3 * 60 * MINUTE } } });
    await say(h, '/remind in 10 minutes defrost the freezer');
    await say(h, '/remind in 2 hours water the plants');
    await say(h, '/remind every 15 minutes drink water');
    await h.stop();
    clock.advance(4 * 60 * MINUTE);
    h = await start({ config: { schedule: { checkIntervalMs: 50, graceMs: 3 * 60 * MINUTE } } });
    // Not the "OK, …" confirmations from before the stop, which name the same words.
    for (const words of ['water the plants', 'defrost', 'drink water']) {
      await eventually(() => sentTo(ownerDm.id).some((t) => !t.startsWith('OK') && t.includes(words)), `the fired "${words}"`);
    }
    await h.idle();
    const texts = sentTo(ownerDm.id).filter((t) => !t.startsWith('OK'));
    expect(texts.filter((t) => t.includes('water the plants'))).toEqual(['⏰ reminder: water the plants\n(Late: this was due at Fri 26 Mar 2027 12:00 (Europe/Berlin); I was not running then.)']);
    expect(texts.filter((t) => t.includes('defrost'))).toEqual(['I was not running at Fri 26 Mar 2027 10:10 (Europe/Berlin), so I missed a reminder: "defrost the freezer".']);
    expect(texts.filter((t) => t.includes('drink water'))).toHaveLength(1);
    expect(texts.find((t) => t.includes('drink water'))).toMatch(/Next time: Fri 26 Mar 2027 14:1\d/);
  });

  it('fires a reminder whose claimer died once its lease runs out', async () => {
    const h = await start();
    await say(h, '/remind in 1 minute check the oven');
    await h.stop();
    clock.advance(MINUTE);
    // Another process claims it and dies before delivering.
    const other = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
    const [claimed] = await new ReminderStore(other).claimDue(clock.now(), LEASE_MS);
    await other.close();
    expect(claimed?.text).toBe('check the oven');
    const h2 = await start();
    await h2.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(sentTo(ownerDm.id).filter((t) => t.startsWith('⏰'))).toEqual([]);
    clock.advance(LEASE_MS);
    await waitFor(ownerDm.id, /^⏰ reminder: check the oven$/);
  });

  it('delivers after the platform recovers when it is down at fire time', async () => {
    const h = await start();
    await say(h, '/remind in 1 minute call grandma');
    adapter.failNextSends.push(new PlatformUnreachableError('test', 'connection refused'), new PlatformUnreachableError('test', 'connection refused'));
    clock.advance(MINUTE);
    await until(() => adapter.failNextSends.length === 0, 'the platform to fail twice');
    await waitFor(ownerDm.id, /^⏰ reminder: call grandma$/);
    expect(sentTo(ownerDm.id).filter((t) => t.includes('grandma') && t.startsWith('⏰'))).toHaveLength(1);
  });

  it("runs a routine as its person in their direct chat, with the grants they have when it fires", async () => {
    const tools = testTools();
    const h = await start({ features: [tools.feature] });
    await addPerson(h, 'Bob', 'member', { accountId: bob.accountId });
    await adapter.inject({ conversation: bobDm, sender: bob, text: '/routine every day at 7:00 warm the house' });
    await h.idle();
    expect(sentTo(bobDm.id).at(-1)).toMatch(/^OK, I'll do "warm the house" for you every day at 07:00, answering in our direct chat\. Next times:\n- Sat 27 Mar 2027 07:00/);
    ollama.reply({ toolCalls: [{ name: 'set_thermostat', arguments: { celsius: 21 } }] }, 'The house is warming up.');
    clock.set('2027-03-27T06:00:00Z');
    await waitFor(bobDm.id, /The house is warming up\./);
    expect(tools.ran.thermostat).toEqual([{ celsius: 21 }]);

    await say(h, '/grant Bob set_thermostat deny');
    ollama.reply({ toolCalls: [{ name: 'set_thermostat', arguments: { celsius: 25 } }] }, 'I could not change the heating.');
    // Sunday: Berlin moved its clocks forward overnight; 07:00 local is 05:00 UTC.
    clock.set('2027-03-28T05:00:00Z');
    await waitFor(bobDm.id, /I could not change the heating\./);
    expect(tools.ran.thermostat).toEqual([{ celsius: 21 }]);
    const occurrences = await h.hearth.database.rows<{ event_id: string }>(
      (await import('drizzle-orm')).sql`select event_id from inbound_journal where event_id like 'routine:%' order by id`,
    );
    expect(occurrences.map((o) => o.event_id)).toEqual([expect.stringMatching(/^routine:\d+:2027-03-27T06:00:00.000Z$/), expect.stringMatching(/^routine:\d+:2027-03-28T05:00:00.000Z$/)]);
    expect((await h.audit()).filter((a) => a.kind === 'routine.fired')).toHaveLength(2);
  });

  // Two gateways on one database need a PostgreSQL server (the embedded database has one owner).
  if (driver === 'postgres') it('fires each occurrence exactly once with two gateways on one database', async () => {
    const a = await start();
    const other = createTestAdapter();
    const b = await startHearth({ adapters: [other], owner: OWNER, driver, databaseUrl: database.databaseUrl, ollama, clock, config: { timezone: 'Europe/Berlin', schedule: { checkIntervalMs: 20 } } });
    try {
      for (let n = 1; n <= 6; n++) await say(a, `/remind in 1 minute task ${n}`);
      await say(a, '/remind every 15 minutes stretch');
      const fired = () => [...adapter.sent, ...other.sent].filter((m) => m.text.startsWith('⏰')).map((m) => m.text);
      clock.advance(MINUTE);
      await until(() => fired().length === 6, 'six reminders');
      clock.advance(14 * MINUTE);
      await until(() => fired().length === 7, 'the repeating one');
      await a.idle();
      await b.idle();
      await new Promise((r) => setTimeout(r, 300)); // both gateways check several more times
      expect(fired().sort()).toEqual(['⏰ reminder: stretch', ...[1, 2, 3, 4, 5, 6].map((n) => `⏰ reminder: task ${n}`)]);
      expect((await a.audit()).filter((e) => e.kind === 'reminder.fired')).toHaveLength(7);
    } finally {
      await b.stop();
    }
  });
});
