/**
 * Claiming the owner with `/claim CODE`, on both databases: the code comes from the admin API
 * (as `hearth owner claim` gets it from a running Hearth); a stranger who sends it becomes the
 * owner even where strangers are refused; the code works once, expires, and wrong codes are
 * refused, counted and finally lock the claim; everything is audited without the code.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import type { FakeOllama } from '../fakes/ollama.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import { addPerson } from './helpers.ts';
import { MAX_WRONG_CLAIM_CODES } from '../../src/access/claim.ts';

const TOKEN = 'test-admin-token-0123456789abcdef';
const alice = { accountId: 'alice-7', displayName: 'Alice' };
const aliceDm = { id: 'dm-alice', kind: 'direct' as const };
const mallory = { accountId: 'mallory-9', displayName: 'Mallory' };
const malloryDm = { id: 'dm-mallory', kind: 'direct' as const };

describeEachDriver('claiming the owner on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  // No HEARTH_OWNER: a fresh install, where strangers are refused everywhere.
  const start = async (config: Record<string, unknown> = {}) =>
    (hearth = await startHearth({ adapters: [adapter], driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, config: { access: { adminToken: TOKEN, unknownSenders: '*=refuse' }, ...config } }));
  const admin = async (h: Hearth, path: string, method = 'GET') => {
    const response = await h.request(path, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, body: method === 'POST' ? '{}' : undefined });
    return (await response.json()) as { id: number; code: string; status: string; claimedBy?: string };
  };
  const says = async (h: Hearth, who: typeof alice, dm: typeof aliceDm, text: string) => {
    await adapter.inject({ conversation: dm, sender: who, text });
    await h.idle();
    return adapter.sent.filter((m) => m.conversation.id === dm.id).at(-1)?.text ?? '';
  };

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  it('makes the stranger who sends the code the owner, once; the code is refused after that', async () => {
    const h = await start();
    const claim = await admin(h, '/admin/owner/claims', 'POST');
    expect(claim.code).toMatch(/^[A-Z2-9]{8}$/);

    expect(await says(h, alice, aliceDm, 'hello?')).not.toMatch(/owner/); // refused: a stranger
    expect(await says(h, alice, aliceDm, `/claim ${claim.code.toLowerCase()}`)).toMatch(/You are Hearth's owner now.*test:alice-7/);
    expect(await admin(h, `/admin/owner/claims/${claim.id}`)).toMatchObject({ status: 'claimed', claimedBy: 'test:alice-7' });
    expect(await says(h, alice, aliceDm, '/whois')).toMatch(/owner \(owner\)/);

    // Used: the same code from someone else makes nobody an owner.
    expect(await says(h, mallory, malloryDm, `/claim ${claim.code}`)).toMatch(/doesn't work/);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: mallory.accountId })).toBeUndefined();

    const audit = await h.audit();
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'owner.claimed', detail: expect.objectContaining({ account: 'test:alice-7' }) }));
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'owner.claim_failed', subject: 'test:mallory-9' }));
    expect(JSON.stringify(audit)).not.toContain(claim.code);
  });

  it('refuses a wrong code, and locks the claim after a few wrong ones', async () => {
    const h = await start();
    const claim = await admin(h, '/admin/owner/claims', 'POST');
    expect(await says(h, mallory, malloryDm, '/claim WRONGCOD')).toMatch(/doesn't work/);
    expect(await admin(h, `/admin/owner/claims/${claim.id}`)).toMatchObject({ status: 'open' });
    // Guesses from several accounts all count against the one open claim.
    for (let i = 1; i < MAX_WRONG_CLAIM_CODES; i++) {
      await says(h, { accountId: `guesser-${i}`, displayName: 'Guesser' }, { id: `dm-guesser-${i}`, kind: 'direct' }, `/claim WRONG${i}AB`);
    }
    expect(await admin(h, `/admin/owner/claims/${claim.id}`)).toMatchObject({ status: 'locked' });
    // Even the right code no longer works.
    expect(await says(h, alice, aliceDm, `/claim ${claim.code}`)).toMatch(/doesn't work/);
    expect((await h.audit()).filter((a) => a.kind === 'owner.claim_locked')).toHaveLength(1);
  });

  it('refuses a code that expired', async () => {
    const h = await start({ access: { adminToken: TOKEN, unknownSenders: '*=refuse', claimCodeTtlMs: 1 } });
    const claim = await admin(h, '/admin/owner/claims', 'POST');
    await new Promise((r) => setTimeout(r, 20));
    expect(await says(h, alice, aliceDm, `/claim ${claim.code}`)).toMatch(/doesn't work/);
    expect(await admin(h, `/admin/owner/claims/${claim.id}`)).toMatchObject({ status: 'expired' });
  });

  it('joins a guest who claims into the owner, keeping what they had', async () => {
    const h = await start();
    const guest = await addPerson(h, 'Alice', 'guest', alice);
    const claim = await admin(h, '/admin/owner/claims', 'POST');
    expect(await says(h, alice, aliceDm, `/claim ${claim.code}`)).toMatch(/owner now/);
    const person = await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: alice.accountId });
    expect(person).toMatchObject({ role: 'owner' });
    expect(await h.hearth.gateway.people.get(guest.id)).toBeUndefined();
  });
});
