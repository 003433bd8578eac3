/**
 * One person, several accounts, on both databases: `/link` shows a one-time code in a direct
 * chat; `/link CODE` from another account joins it. When both accounts were already people, they
 * become one, and memories, grants and history follow.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { OWNER, addPerson, bob, bobDm, owner, ownerDm } from './helpers.ts';

describeEachDriver('linking accounts on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let home: TestAdapter;
  let other: TestAdapter;
  let hearth: Hearth | undefined;

  const start = async () =>
    (hearth = await startHearth({ adapters: [home, other], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama }));
  const last = (adapter: TestAdapter, conversationId: string) => adapter.sent.filter((m) => m.conversation.id === conversationId).at(-1)?.text ?? '';
  const linkCode = (text: string) => /\*\*([A-Z0-9]{8})\*\*/.exec(text)?.[1];
  const say = async (h: Hearth, adapter: TestAdapter, conversation: { id: string; kind: 'direct' | 'group' }, sender: { accountId: string; displayName: string }, text: string, extra: { mentionsBot?: boolean } = {}) => {
    await adapter.inject({ conversation, sender, text, ...extra });
    await h.idle();
    return last(adapter, conversation.id);
  };

  beforeEach(async () => {
    database = await createTestDatabase(driver);
    ollama = await startFakeOllama();
    home = createTestAdapter('test');
    other = createTestAdapter('other');
  });
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await ollama.close();
    await database.drop();
  });

  it('joins a new account to the person who asked for the code; the code works once', async () => {
    const h = await start();
    const code = linkCode(await say(h, home, ownerDm, owner, '/link'));
    expect(code).toBeDefined();
    const otherDm = { id: 'o-dm', kind: 'direct' as const };
    const oliveElsewhere = { accountId: 'olive-on-other', displayName: 'Olive O.' };
    expect(await say(h, other, otherDm, oliveElsewhere, `/link ${code}`)).toMatch(/Linked: other:olive-on-other now belongs to/);
    const ownerPerson = (await h.hearth.gateway.people.owner())!;
    // The name the owner's account shows is remembered, so commands can say "Olive".
    expect(await h.hearth.gateway.people.find('olive')).toMatchObject({ id: ownerPerson.id });
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'other', accountId: 'olive-on-other' })).toMatchObject({ id: ownerPerson.id, role: 'owner' });
    expect(await say(h, other, otherDm, oliveElsewhere, '/whois')).toMatch(/Accounts: .*other:olive-on-other.*test:owner-1/);

    // Used once: a second account cannot use the same code.
    const stranger = { accountId: 'eve', displayName: 'Eve' };
    expect(await say(h, other, { id: 'eve-dm', kind: 'direct' }, stranger, `/link ${code}`)).toMatch(/doesn't work/);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'other', accountId: 'eve' })).toBeUndefined();
    expect((await h.audit()).map((a) => a.kind)).toEqual(expect.arrayContaining(['link.code_created', 'person.linked', 'link.failed']));
    expect(JSON.stringify(await h.audit())).not.toContain(code);
  });

  it('makes two people one: memories, grants and history follow the person', async () => {
    const h = await start();
    const member = await addPerson(h, 'Bob', 'member', bob);
    const otherBob = { accountId: 'bob-other', displayName: 'Bobby' };
    const otherDm = { id: 'bob-o-dm', kind: 'direct' as const };
    const guest = await addPerson(h, 'Bobby', 'guest', { platform: 'other', accountId: otherBob.accountId });
    await h.hearth.database.rows(sql`insert into memories (text, scope, person_id) values ('Bobby takes his tea without sugar', 'person', ${guest.id})`);
    await say(h, home, ownerDm, owner, '/grant Bobby calculate deny');
    expect(await say(h, other, otherDm, otherBob, 'hello from the other side')).toBe('echo: hello from the other side');

    const code = linkCode(await say(h, home, bobDm, bob, '/link'));
    expect(await say(h, other, otherDm, otherBob, `/link ${code}`)).toMatch(/are now one person, Bob \(member\)/);

    const people = h.hearth.gateway.people;
    expect(await people.findByAccount({ platform: 'other', accountId: otherBob.accountId })).toMatchObject({ id: member.id, role: 'member' });
    expect(await people.get(guest.id)).toBeUndefined();
    const memories = await h.hearth.database.rows<{ person_id: string }>(sql`select person_id from memories where text like 'Bobby takes%'`);
    expect(memories).toEqual([{ person_id: member.id }]);
    const grants = await h.hearth.database.rows<{ person_id: string; decision: string }>(sql`select person_id, decision from tool_grants where tool = 'calculate'`);
    expect(grants).toEqual([{ person_id: member.id, decision: 'deny' }]);
    const history = await h.hearth.database.rows<{ person_id: string | null }>(sql`select distinct person_id from messages where content = 'hello from the other side'`);
    expect(history).toEqual([{ person_id: member.id }]);
    expect(await h.audit()).toContainEqual(expect.objectContaining({ kind: 'person.merged', subject: member.id, detail: expect.objectContaining({ absorbed: guest.id }) }));
  });

  it('shows a link code only in a direct chat', async () => {
    const h = await start();
    const reply = await say(h, home, { id: 'family', kind: 'group' }, owner, '/link', { mentionsBot: true });
    expect(reply).toMatch(/direct chat/);
    expect(linkCode(reply)).toBeUndefined();
  });

  it('throttles guessing link codes, even by strangers with a right code after too many wrong ones', async () => {
    const h = await start();
    const code = linkCode(await say(h, home, ownerDm, owner, '/link'));
    const eve = { accountId: 'eve', displayName: 'Eve' };
    const eveDm = { id: 'eve-dm', kind: 'direct' as const };
    for (const guess of ['AAAAAAAA', 'BBBBBBBB', 'CCCCCCCC', 'DDDDDDDD', 'EEEEEEEE']) await say(h, other, eveDm, eve, `/link ${guess}`);
    expect(await say(h, other, eveDm, eve, `/link ${code}`)).toMatch(/Too many wrong codes/);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'other', accountId: 'eve' })).toBeUndefined();
    expect(await h.audit()).toContainEqual(expect.objectContaining({ kind: 'link.throttled', subject: 'other:eve' }));
  });

  it('throttles wrong /link codes per account: thirty guesses from throwaway accounts do not block a new account', async () => {
    const h = await start();
    for (let account = 0; account < 6; account++) {
      for (const guess of ['AAAAAAAA', 'BBBBBBBB', 'CCCCCCCC', 'DDDDDDDD', 'EEEEEEEE']) await say(h, other, { id: `throwaway-${account}`, kind: 'direct' }, { accountId: `throwaway-${account}`, displayName: 'X' }, `/link ${guess}`);
    }
    const code = linkCode(await say(h, home, ownerDm, owner, '/link'));
    expect(await say(h, other, { id: 'olive-new', kind: 'direct' }, { accountId: 'olive-new', displayName: 'Olive' }, `/link ${code}`)).not.toMatch(/Too many/);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'other', accountId: 'olive-new' })).toBeDefined();
    // Each throwaway account's guesses: one audit record, the rest counted when the window closes.
    expect((await h.audit()).filter((r) => r.kind === 'link.failed')).toHaveLength(6);
  });

  it('refuses an expired code', async () => {
    const h = await start();
    const code = linkCode(await say(h, home, ownerDm, owner, '/link'));
    await h.hearth.database.rows(sql`update link_codes set expires_at = now() - interval '1 second'`);
    expect(await say(h, other, { id: 'x', kind: 'direct' }, { accountId: 'olive-2', displayName: 'Olive' }, `/link ${code}`)).toMatch(/doesn't work/);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'other', accountId: 'olive-2' })).toBeUndefined();
  });
});
