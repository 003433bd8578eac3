/**
 * The web admin's sign-in rules and the pages a browser test does not reach, in-process on both
 * databases: sessions and login links expire (on Hearth's clock), failed sign-ins are throttled
 * and audited, a tool call waiting for approval is approved from the requests page, a reminder
 * is cancelled from its page, and the status page shows a failing model with what to do about it.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import type { FakeOllama } from '../fakes/ollama.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import { ManualClock } from '../../src/pipeline/clock.ts';
import { OWNER, addPerson, bob, bobDm, owner, ownerDm, testTools, until, type ToolLog } from '../access/helpers.ts';
import { webClient } from './client.ts';

const TOKEN = 'web-admin-session-token-0123456789';

describeEachDriver('web admin sign-in and pages on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;
  let clock: ManualClock;
  let ran: ToolLog;

  const start = async () => {
    const tools = testTools();
    ran = tools.ran;
    hearth = await startHearth({ adapters: [adapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, clock, config: { access: { adminToken: TOKEN } }, extraFeatures: [tools.feature] });
    return hearth;
  };
  const audit = async (kind: string) => (await hearth!.audit()).filter((a) => a.kind === kind);

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
    clock = new ManualClock();
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  it('ends a session after 12 hours: the next visit goes to the login page', async () => {
    const h = await start();
    const web = webClient(h);
    const signedIn = await web.signIn(TOKEN);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/');
    expect((await web.get('/people')).status).toBe(200);
    clock.advance(11 * 3_600_000);
    expect((await web.get('/people')).status).toBe(200);
    clock.advance(3_600_000 + 1);
    const expired = await web.get('/people');
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe('/login');
  });

  it('refuses a login link after 15 minutes', async () => {
    const h = await start();
    const made = await h.request('/admin/web/login-links', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    const { token } = (await made.json()) as { token: string };
    // The link is made on the real clock (as `hearth admin link` in another process would); Hearth's clock is 16 minutes past it.
    clock.set(new Date(Date.now() + 16 * 60_000));
    const web = webClient(h);
    const late = await web.get(`/login/link?token=${token}`);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('hearth admin link');
    expect((await web.get('/')).status).toBe(303);
    expect(await audit('web.login_failed')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ how: 'link', reason: 'unknown, used or expired link' }) })]);
  });

  it('throttles failed sign-ins: after 10, even the right token waits; each attempt is audited', async () => {
    const h = await start();
    const web = webClient(h);
    for (let i = 0; i < 10; i++) expect((await web.signIn(`wrong-${i}`)).status).toBe(401);
    const blocked = await web.signIn(TOKEN);
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toMatch(/Too many failed sign-ins/);
    expect(web.cookies.has('hearth_session')).toBe(false);
    const failures = await audit('web.login_failed');
    expect(failures).toHaveLength(11);
    expect((failures.at(-1)!.detail as { reason: string }).reason).toBe('too many failed attempts');
    expect(JSON.stringify(failures)).not.toContain('wrong-');
  });

  it('refuses the login form itself without its CSRF token', async () => {
    const h = await start();
    const web = webClient(h);
    await web.get('/login');
    const refused = await web.post('/login', { token: TOKEN }, null);
    expect(refused.status).toBe(403);
    expect(web.cookies.has('hearth_session')).toBe(false);
  });

  it('approves a tool call waiting for the owner from the requests page; it runs once', async () => {
    const h = await start();
    await addPerson(h, 'Bob', 'member', bob);
    await adapter.inject({ conversation: ownerDm, sender: owner, text: '/whois' });
    await h.idle();
    ollama.reply({ toolCalls: [{ name: 'send_message', arguments: { to: 'Ann', text: 'dinner at 8', password: 'hunter2' } }] }, 'Sent.');
    await adapter.inject({ conversation: bobDm, sender: bob, text: 'tell Ann dinner is at 8' });
    await until(() => adapter.sent.some((m) => m.conversation.id === ownerDm.id && m.text.includes('wants me to use')), 'the approval request');

    const web = webClient(h);
    await web.signIn(TOKEN);
    const page = await (await web.get('/requests')).text();
    expect(page).toContain('send_message');
    expect(page).not.toContain('hunter2');
    const id = /data-approval="(\d+)"/.exec(page)?.[1];
    expect(id).toBeDefined();
    const approved = await web.post(`/requests/approvals/${id}/approve`, {});
    expect(approved.headers.get('location')).toBe('/requests');
    expect(await (await web.get('/requests')).text()).toContain('Approved: Bob may use send_message this once.');
    await h.idle();
    expect(ran.messages).toEqual([expect.objectContaining({ to: 'Ann', text: 'dinner at 8' })]);
    expect(await audit('approval.decided')).toEqual([expect.objectContaining({ subject: 'send_message', detail: expect.objectContaining({ decision: 'approved', via: 'web' }) })]);
  });

  it('lists reminders on their page and cancels one, audited like /cancel', async () => {
    const h = await start();
    await adapter.inject({ conversation: ownerDm, sender: owner, text: '/remind in 10 minutes check the oven' });
    await h.idle();
    const web = webClient(h);
    await web.signIn(TOKEN);
    const page = await (await web.get('/reminders')).text();
    expect(page).toContain('<a href="/reminders" aria-current="page">Reminders</a>');
    expect(page).toContain('check the oven');
    const id = /data-reminder="(\d+)"/.exec(page)?.[1];
    const cancelled = await web.post('/reminders/cancel', { id: id! });
    expect(cancelled.headers.get('location')).toBe('/reminders');
    const after = await (await web.get('/reminders')).text();
    expect(after).toContain('Cancelled the reminder for Owner: check the oven');
    expect(after).toContain('id="no-reminders"');
    expect(await audit('reminder.cancelled')).toEqual([expect.objectContaining({ subject: id, detail: expect.objectContaining({ via: 'web' }) })]);
    expect((await web.post('/reminders/cancel', { id: id! }, null)).status).toBe(403);
  });

  it('shows a model that is not pulled on the status page, with the command that fixes it', async () => {
    const h = await start();
    ollama.always({ kind: 'http-error', status: 404, error: 'model "qwen2.5:3b" not found, try pulling it first' });
    await adapter.inject({ conversation: ownerDm, sender: owner, text: 'hello?' });
    await until(async () => (await h.hearth.database.rows<{ n: number }>(sql`select count(*)::int as n from inbound_journal where last_error is not null`)).at(0)?.n, 'the failed turn in the journal');
    const web = webClient(h);
    await web.signIn(TOKEN);
    const status = await (await web.get('/')).text();
    expect(status).toMatch(/<table id="errors">[\s\S]*not found, try pulling it first[\s\S]*ollama pull qwen2\.5:3b/);
    expect(status).toContain('Messages waiting to be answered');
  });
});
