/**
 * The admin API under /admin, on both databases, through the Hono app in-process: off without
 * HEARTH_ADMIN_TOKEN, 401 (audited) without the right bearer token, throttled after repeated
 * failures, and the same operations as `hearth people` with the right one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import type { FakeOllama } from '../fakes/ollama.ts';
import { OWNER, addPerson, bob } from './helpers.ts';
import { tokenMatches } from '../../src/http/admin.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';

const TOKEN = 'test-admin-token-0123456789abcdef';

describeEachDriver('admin API on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  const start = async (token: string | null = TOKEN) =>
    (hearth = await startHearth({ adapters: [adapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, config: { access: { adminToken: token ?? undefined } } }));
  const as = (token?: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) } });

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  it('is off without a configured token', async () => {
    const h = await start(null);
    expect((await h.request('/admin/people', as(TOKEN))).status).toBe(404);
    expect((await h.request('/healthz')).status).toBe(200);
  });

  it('answers 401 without or with a wrong token, and audits the failures, folded per source', async () => {
    const h = await start();
    const missing = await h.request('/admin/people');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await h.request('/admin/people', as('not-the-token'))).status).toBe(401);
    expect((await h.request('/admin/people/x/role', as(`${TOKEN}x`, { method: 'POST', body: JSON.stringify({ role: 'member' }) }))).status).toBe(401);
    const failures = (await h.audit()).filter((a) => a.kind === 'admin.auth_failed');
    // The first failure from a source is recorded at once; repeats from it are folded into a count (test/hardening/floods.test.ts).
    expect(failures.map((f) => (f.detail as { reason: string }).reason)).toEqual(['no bearer token']);
    expect(JSON.stringify(await h.audit())).not.toContain('not-the-token');
  });

  it('works with the right token: list, grant, role, and each call is audited', async () => {
    const h = await start();
    const member = await addPerson(h, 'Bob', 'member', bob);
    const list = await h.request('/admin/people', as(TOKEN));
    expect(list.status).toBe(200);
    const body = (await list.json()) as { people: Array<{ displayName: string; role: string; accounts: Array<{ platform: string; accountId: string }> }> };
    expect(body.people.map((p) => [p.displayName, p.role])).toEqual(expect.arrayContaining([['Bob', 'member'], ['Owner', 'owner']]));

    const grant = await h.request(`/admin/people/${encodeURIComponent('test:bob-1')}/grants`, as(TOKEN, { method: 'POST', body: JSON.stringify({ tool: 'calculate', decision: 'deny' }) }));
    expect(grant.status).toBe(200);
    const role = await h.request('/admin/people/Bob/role', as(TOKEN, { method: 'POST', body: JSON.stringify({ role: 'guest' }) }));
    expect(await role.json()).toEqual({ person: member.id, from: 'member', to: 'guest' });
    const show = (await (await h.request(`/admin/people/${member.id}`, as(TOKEN))).json()) as { tools: Array<{ tool: string; decision: string; source: string }> };
    expect(show.tools).toContainEqual({ tool: 'calculate', risk: 'read', decision: 'deny', source: 'grant' });
    expect((await h.request('/admin/people/Owner/role', as(TOKEN, { method: 'POST', body: JSON.stringify({ role: 'guest' }) }))).status).toBe(403);
    expect((await h.request('/admin/people/nobody-here', as(TOKEN))).status).toBe(404);

    const audit = await h.audit();
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'grant.set', subject: member.id, detail: expect.objectContaining({ via: 'admin-api', tool: 'calculate', decision: 'deny' }) }));
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'role.changed', subject: member.id, detail: expect.objectContaining({ from: 'member', to: 'guest', via: 'admin-api' }) }));
    expect(audit.filter((a) => a.kind === 'admin.call').map((a) => [(a.detail as { method: string }).method, (a.detail as { status: number }).status])).toEqual([
      ['GET', 200],
      ['POST', 200],
      ['POST', 200],
      ['GET', 200],
      ['POST', 403],
      ['GET', 404],
    ]);
  });

  it('approves a pairing code and searches the audit log', async () => {
    const h = await start();
    await adapter.inject({ conversation: { id: 'dm-m', kind: 'direct' }, sender: { accountId: 'mallory', displayName: 'Mallory' }, text: 'hi' });
    await h.idle();
    const code = /\*\*([A-Z0-9]{6})\*\*/.exec(adapter.sent[0]!.text)![1]!;
    const approved = await h.request(`/admin/pairing/${code}/approve`, as(TOKEN, { method: 'POST' }));
    expect(approved.status).toBe(200);
    expect(await h.hearth.gateway.people.findByAccount({ platform: 'test', accountId: 'mallory' })).toMatchObject({ role: 'guest' });
    const search = (await (await h.request('/admin/audit?kind=pairing.*&since=1h', as(TOKEN))).json()) as { records: Array<{ kind: string }> };
    expect(search.records.map((r) => r.kind)).toEqual(['pairing.approved', 'pairing.requested']);
    const audit = await h.audit();
    // The code in the URL is masked in the audit record of the call.
    expect(JSON.stringify(audit)).not.toContain(code);
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'admin.call', subject: '/admin/pairing/***/approve' }));
    const verify = (await (await h.request('/admin/audit/verify', as(TOKEN))).json()) as { ok: boolean };
    expect(verify.ok).toBe(true);
  });

  it('locks a client out after repeated failures, even with the right token', async () => {
    const h = await start();
    for (let i = 0; i < 10; i++) expect((await h.request('/admin/people', as(`guess-${i}`))).status).toBe(401);
    const locked = await h.request('/admin/people', as(TOKEN));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('admin token comparison', () => {
  it('matches only the exact token, whatever the lengths', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(`${TOKEN} `, TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN.slice(0, -1), TOKEN)).toBe(false);
  });
});
