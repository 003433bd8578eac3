/**
 * Unknown senders by policy, on both databases: pairing (a code the owner approves), refuse,
 * and open rooms; codes that expire, a cap on waiting strangers, and throttled guessing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import type { FakeOllama } from '../fakes/ollama.ts';
import { OWNER, owner, ownerDm } from './helpers.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';

const mallory = { accountId: 'mallory-9', displayName: 'Mallory' };
const malloryDm = { id: 'dm-mallory', kind: 'direct' as const };

describeEachDriver('unknown senders on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  const start = async (config: Record<string, unknown> = {}) =>
    (hearth = await startHearth({ adapters: [adapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, config }));
  const sentTo = (conversationId: string) => adapter.sent.filter((m) => m.conversation.id === conversationId).map((m) => m.text);
  const codeIn = (text: string | undefined) => /\*\*([A-Z0-9]{6})\*\*/.exec(text ?? '')?.[1];
  const ownerSays = async (h: Hearth, text: string) => {
    await adapter.inject({ conversation: ownerDm, sender: owner, text });
    await h.idle();
    return sentTo(ownerDm.id).at(-1)!;
  };
  const strangerAsks = async (h: Hearth, who = mallory, dm = malloryDm) => {
    await adapter.inject({ conversation: dm, sender: who, text: 'hello, can I talk to you?' });
    await h.idle();
    return codeIn(sentTo(dm.id).at(-1));
  };

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  it('gives a stranger a code; the owner approves it and the stranger becomes a guest', async () => {
    const h = await start();
    const code = await strangerAsks(h);
    expect(code).toBeDefined();
    expect(sentTo(malloryDm.id)[0]).toMatch(/don't know you yet/);
    expect(ollama.chatRequests).toHaveLength(0);
    // Writing again does not make a second request (nor a second reply right away).
    await strangerAsks(h);
    expect(sentTo(malloryDm.id)).toHaveLength(1);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: mallory.accountId })).toBeUndefined();

    expect(await ownerSays(h, `/approve ${code!.toLowerCase()}`)).toMatch(/Mallory .* is in, as a guest/);
    expect(sentTo(malloryDm.id).at(-1)).toMatch(/Welcome, Mallory/);
    const person = await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: mallory.accountId });
    expect(person).toMatchObject({ displayName: 'Mallory', role: 'guest' });

    await adapter.inject({ conversation: malloryDm, sender: mallory, text: 'thanks!' });
    await h.idle();
    expect(sentTo(malloryDm.id).at(-1)).toBe('echo: thanks!');
    const kinds = (await h.audit()).map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['sender.refused', 'pairing.requested', 'pairing.approved']));
    // The code itself never reaches the audit log.
    expect(JSON.stringify(await h.audit())).not.toContain(code);
  });

  it('refuses a wrong or expired code', async () => {
    const h = await start();
    const code = await strangerAsks(h);
    expect(await ownerSays(h, '/approve ZZZZZZ')).toMatch(/No pending request has that code/);
    await h.hearth.database.rows(sql`update pairing_requests set expires_at = now() - interval '1 minute'`);
    expect(await ownerSays(h, `/approve ${code}`)).toMatch(/No pending request has that code/);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: mallory.accountId })).toBeUndefined();
    expect((await h.audit()).filter((a) => a.kind === 'pairing.failed')).toHaveLength(2);
    // After expiry the stranger can ask again and gets a fresh code.
    const fresh = await strangerAsks(h);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(code);
  });

  it('throttles guessing: after five wrong codes even the right one waits', async () => {
    const h = await start();
    const code = await strangerAsks(h);
    for (const guess of ['AAAAAA', 'BBBBBB', 'CCCCCC', 'DDDDDD', 'EEEEEE']) await ownerSays(h, `/approve ${guess}`);
    expect(await ownerSays(h, `/approve ${code}`)).toMatch(/Too many wrong codes/);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: mallory.accountId })).toBeUndefined();
    expect(await h.audit()).toContainEqual(expect.objectContaining({ kind: 'pairing.throttled' }));
  });

  it('only lets an approver approve', async () => {
    const h = await start();
    const code = await strangerAsks(h);
    await h.hearth.gateway.people.create({ displayName: 'Bob', role: 'member', account: { platform: 'test', accountId: 'bob-1' } });
    await adapter.inject({ conversation: { id: 'dm-bob', kind: 'direct' }, sender: { accountId: 'bob-1', displayName: 'Bob' }, text: `/approve ${code}` });
    await h.idle();
    expect(sentTo('dm-bob')[0]).toBe('Only an approver can answer requests.');
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: mallory.accountId })).toBeUndefined();
  });

  it('gives someone who may not approve the same refusal for a live, a used and a made-up code', async () => {
    const h = await start();
    const live = await strangerAsks(h);
    const used = await strangerAsks(h, { accountId: 'sam-1', displayName: 'Sam' }, { id: 'dm-sam', kind: 'direct' });
    await ownerSays(h, `/approve ${used}`);
    await h.hearth.gateway.people.create({ displayName: 'Bob', role: 'member', account: { platform: 'test', accountId: 'bob-1' } });
    for (const code of [live, used, 'ZZZZZZ', live]) {
      await adapter.inject({ conversation: { id: 'dm-bob', kind: 'direct' }, sender: { accountId: 'bob-1', displayName: 'Bob' }, text: `/approve ${code}` });
      await h.idle();
    }
    expect(sentTo('dm-bob')).toEqual(Array(4).fill('Only an approver can answer requests.'));
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: mallory.accountId })).toBeUndefined();
    // Audited once, with the repeats counted when the window closes.
    expect((await h.audit()).filter((r) => r.kind === 'approval.refused')).toHaveLength(1);
  });

  it('says a decided request was already answered, without using up the owner\'s wrong-code allowance', async () => {
    const h = await start();
    const code = await strangerAsks(h);
    expect(await ownerSays(h, `/approve ${code}`)).toMatch(/is in, as a guest/);
    for (let i = 0; i < 6; i++) expect(await ownerSays(h, `/approve ${code}`)).toBe('That request was already answered (approved).');
    expect(await ownerSays(h, `/deny ${code}`)).toBe('That request was already answered (approved).');
    // Still five wrong codes allowed: the next stranger gets in after four mistypes.
    const next = await strangerAsks(h, { accountId: 'sam-1', displayName: 'Sam' }, { id: 'dm-sam', kind: 'direct' });
    for (const guess of ['AAAAAA', 'BBBBBB', 'CCCCCC', 'DDDDDD']) await ownerSays(h, `/approve ${guess}`);
    expect(await ownerSays(h, `/approve ${next}`)).toMatch(/Sam .* is in/);
    expect((await h.audit()).filter((r) => r.kind === 'pairing.failed')).toHaveLength(4);
  });

  it('caps how many strangers wait at once', async () => {
    const h = await start({ access: { maxPendingPairings: 2 } });
    expect(await strangerAsks(h, { accountId: 's1', displayName: 'One' }, { id: 'dm-s1', kind: 'direct' })).toBeDefined();
    expect(await strangerAsks(h, { accountId: 's2', displayName: 'Two' }, { id: 'dm-s2', kind: 'direct' })).toBeDefined();
    expect(await strangerAsks(h, { accountId: 's3', displayName: 'Three' }, { id: 'dm-s3', kind: 'direct' })).toBeUndefined();
    expect(sentTo('dm-s3')[0]).toMatch(/can't take new requests right now/);
  });

  it('refuses outright where the policy says refuse, and lets strangers in as guests in an open room', async () => {
    const h = await start({ access: { unknownSenders: 'direct=refuse,test:family=open' } });
    await adapter.inject({ conversation: malloryDm, sender: mallory, text: 'hi' });
    await adapter.inject({ conversation: { id: 'family', kind: 'group' }, sender: { accountId: 'cousin-1', displayName: 'Cousin' }, text: 'hi bot', mentionsBot: true });
    await adapter.inject({ conversation: { id: 'other-group', kind: 'group' }, sender: { accountId: 'troll-1', displayName: 'Troll' }, text: 'hi bot', mentionsBot: true });
    await h.idle();
    expect(codeIn(sentTo(malloryDm.id)[0])).toBeUndefined();
    expect(sentTo(malloryDm.id)[0]).toMatch(/don't know you yet/);
    expect(sentTo('family')).toEqual(['echo: Cousin: hi bot']);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: 'cousin-1' })).toMatchObject({ role: 'guest' });
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: 'troll-1' })).toBeUndefined();
    expect(await h.audit()).toContainEqual(expect.objectContaining({ kind: 'person.joined' }));
  });
});
