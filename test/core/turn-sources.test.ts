/**
 * Turns that no platform event started (a routine firing through `enqueue`) and the time a
 * person lives in: a scheduled turn runs as its person with the permissions they have when it
 * fires, is answered once however often it is enqueued, and every time the model sees is in the
 * person's own zone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import { hearthNote, type FakeOllama } from '../fakes/ollama.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import type { FeatureDependencies } from '../../src/pipeline/feature.ts';
import { ManualClock } from '../../src/pipeline/clock.ts';
import { OWNER, addPerson, bob, bobDm, owner, ownerDm, testTools } from '../access/helpers.ts';

describeEachDriver('turn sources and time zones on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  it('runs a scheduled turn once, as its person, with the permissions they have when it fires', async () => {
    let deps: FeatureDependencies | undefined;
    const tools = testTools();
    const h = (hearth = await startHearth({
      adapters: [adapter],
      owner: OWNER,
      driver,
      dataDir: database.dataDir,
      databaseUrl: database.databaseUrl,
      ollama,
      extraFeatures: [tools.feature, (d) => ((deps = d), { name: 'capture' })],
    }));
    const person = await addPerson(h, 'Bob', 'member', { accountId: bob.accountId });
    const routine = (id: string) => ({ id, personId: person.id, jobId: 'r1', platform: 'test', conversation: bobDm, accountId: bob.accountId, displayName: 'Bob', text: 'warm the house', at: new Date() });

    ollama.reply({ toolCalls: [{ name: 'set_thermostat', arguments: { celsius: 21 } }] }, 'The house is warming up.');
    expect(await deps!.enqueue(routine('routine:r1:1'))).toBe(true);
    expect(await deps!.enqueue(routine('routine:r1:1'))).toBe(false);
    await h.idle();
    expect(adapter.sent.filter((m) => m.conversation.id === bobDm.id).map((m) => m.text)).toEqual(['The house is warming up.']);
    expect(tools.ran.thermostat).toEqual([{ celsius: 21 }]);
    const called = (await h.audit()).find((a) => a.kind === 'tool.called');
    expect(called?.actorPersonId).toBe(person.id);

    // The owner takes the tool away; the next occurrence runs without it.
    await adapter.inject({ conversation: ownerDm, sender: owner, text: '/grant Bob set_thermostat deny' });
    await h.idle();
    ollama.reply({ toolCalls: [{ name: 'set_thermostat', arguments: { celsius: 25 } }] }, 'I could not change the heating.');
    await deps!.enqueue(routine('routine:r1:2'));
    await h.idle();
    expect(tools.ran.thermostat).toEqual([{ celsius: 21 }]);
    expect(adapter.sent.at(-1)!.text).toBe('I could not change the heating.');
  });

  it('keeps each person in their own time zone', async () => {
    const clock = new ManualClock('2027-03-28T00:30:00Z');
    const h = (hearth = await startHearth({ adapters: [adapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, clock, config: { timezone: 'America/New_York' } }));
    await addPerson(h, 'Bob', 'member', { accountId: bob.accountId });
    const say = async (text: string) => {
      await adapter.inject({ conversation: bobDm, sender: bob, text });
      await h.idle();
      return adapter.sent.at(-1)!.text;
    };

    expect(await say('/timezone')).toMatch(/America\/New_York \(the household's\); it's Sat 27 Mar 2027 20:30/);
    expect(await say('/timezone Mars/Olympus')).toMatch(/not a time zone I know/);
    expect(await say('/timezone europe/berlin')).toMatch(/your time zone is Europe\/Berlin\. It's Sun 28 Mar 2027 01:30/);
    // An hour later Berlin has moved its clocks forward: 03:30, not 02:30.
    clock.advance(60 * 60_000);
    await say('what time is it?');
    expect(hearthNote(ollama.chatRequests.at(-1)!.messages.at(-1)!.content)).toContain('[Now: Sun 28 Mar 2027 03:30 (Europe/Berlin)]');
    expect(await say('/whois')).toContain('Time zone: Europe/Berlin');
    expect((await h.audit()).some((a) => a.kind === 'person.time_zone')).toBe(true);
  });
});
