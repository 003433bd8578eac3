/**
 * The web admin in a real browser: Debian's Chromium driven by playwright-core against a whole
 * Hearth served on a real port (both databases). Sign in with the admin token and with a one-time
 * link, a wrong token refused, a stranger approved into a guest, a grant changed, a memory
 * forgotten, the audit chain verified; and a form posted without its CSRF token refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { serve, type ServerType } from '@hono/node-server';
import { describeEachDriver } from '../helpers/drivers.ts';
import { chromiumPath, describeNeeding } from '../helpers/requirements.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import type { FakeOllama } from '../fakes/ollama.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import { scaled } from '../helpers/time-scale.ts';
import { OWNER, addPerson, bob, bobDm } from '../access/helpers.ts';

const TOKEN = 'web-admin-test-token-0123456789';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describeEachDriver('web admin in Chromium on %s', (driver) => {
  describeNeeding('chromium', `web admin in Chromium on ${driver}`, () => {
    let profile: string;
    let browser: BrowserContext;
    let database: TestDatabase;
    let ollama: FakeOllama;
    let adapter: TestAdapter;
    let hearth: Hearth | undefined;
    let server: ServerType | undefined;
    let base: string;
    let page: Page;

    beforeAll(async () => {
      // A fresh profile of its own: nothing from another run (cookies, cache) can help a test pass.
      profile = await mkdtemp(join(tmpdir(), 'hearth-chromium-'));
      browser = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, timeout: scaled(30_000) });
    });
    afterAll(async () => {
      await browser?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    beforeEach(async () => {
      ({ database, ollama, adapter } = await openScenario(driver));
      hearth = await startHearth({ adapters: [adapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, config: { access: { adminToken: TOKEN } } });
      server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: hearth!.hearth.http.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      await browser.clearCookies();
      page = await browser.newPage();
      page.setDefaultTimeout(scaled(10_000));
    });
    afterEach(async () => {
      await page?.close();
      // Chromium opens spare connections ahead of need; one that never sent a request is not idle
      // to Node, so close() alone would wait for it to time out (about 100 s).
      if (server && 'closeAllConnections' in server) server.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
      await closeScenario({ hearth, ollama, database });
      hearth = undefined;
    });

    const signIn = async () => {
      await page.goto(`${base}/people`);
      await page.getByLabel('Admin token (HEARTH_ADMIN_TOKEN)').fill(TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Status' }).waitFor();
    };
    const audit = async (kind: string) => (await hearth!.audit()).filter((a) => a.kind === kind);

    it('sends a visitor to the login page, refuses a wrong token (audited), and lets the right one in', async () => {
      await page.goto(`${base}/memories`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.getByLabel('Admin token (HEARTH_ADMIN_TOKEN)').fill('not-the-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('That is not the admin token');
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(await audit('web.login_failed')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ how: 'token', reason: 'wrong token' }) })]);
      expect(JSON.stringify(await hearth!.audit())).not.toContain('not-the-token');

      await page.getByLabel('Admin token (HEARTH_ADMIN_TOKEN)').fill(TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Status' }).waitFor();
      expect(await page.locator('[data-platform="test"]').textContent()).toContain('connected');
      expect(await page.locator('#models').textContent()).toContain('Ollama answers');
      const cookie = (await browser.cookies(base)).find((c) => c.name === 'hearth_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect(await audit('web.login')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ how: 'token' }) })]);
    });

    it('signs in once with a login link made through the admin API; the same link is refused after', async () => {
      const made = await fetch(`${base}/admin/web/login-links`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      const { token } = (await made.json()) as { token: string };
      await page.goto(`${base}/login/link?token=${token}`);
      await page.getByRole('heading', { name: 'Status' }).waitFor();
      await page.getByRole('link', { name: 'People' }).click();
      await expect.poll(() => page.locator('#people').textContent()).toContain('Owner');

      await browser.clearCookies();
      await page.goto(`${base}/login/link?token=${token}`);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('already used');
      expect(new URL(page.url()).pathname).toBe('/login/link');
      expect((await audit('web.login')).map((a) => (a.detail as { how: string }).how)).toEqual(['link']);
      expect(await audit('web.login_failed')).toHaveLength(1);
    });

    it('approves a stranger waiting to be let in, who then shows as a guest', async () => {
      await adapter.inject({ conversation: { id: 'dm-mallory', kind: 'direct' }, sender: { accountId: 'mallory-9', displayName: 'Mallory' }, text: 'hello, can I talk to you?' });
      await hearth!.idle();
      await signIn();
      await page.getByRole('link', { name: 'Requests' }).click();
      const row = page.locator('#pairings tr', { hasText: 'Mallory' });
      await row.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('Mallory (test:mallory-9) is in, as a guest');
      expect(await page.locator('#no-pairings').isVisible()).toBe(true);

      await page.getByRole('link', { name: 'People' }).click();
      await expect.poll(() => page.locator('#people tr', { hasText: 'Mallory' }).locator('.role').textContent()).toBe('guest');
      await hearth!.idle();
      expect(adapter.sent.filter((m) => m.conversation.id === 'dm-mallory').at(-1)?.text).toMatch(/Welcome, Mallory/);
      expect(await audit('pairing.approved')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ via: 'web', role: 'guest' }) })]);
    });

    it("changes a person's grant, and the change is audited like the CLI's", async () => {
      const member = await addPerson(hearth!, 'Bob', 'member', bob);
      await signIn();
      await page.getByRole('link', { name: 'People' }).click();
      await page.getByRole('link', { name: 'Bob' }).click();
      const row = page.locator('#grants tr[data-tool="calculate"]');
      expect(await row.locator('.decision').textContent()).toContain('allow');
      await row.getByLabel('Decision for calculate').selectOption('deny');
      await row.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => page.locator('#grants tr[data-tool="calculate"] .decision').textContent()).toMatch(/deny\s+\(grant\)/);
      expect(await page.getByRole('status').textContent()).toMatch(/calculate/);
      expect(await audit('grant.set')).toEqual([expect.objectContaining({ subject: member.id, detail: expect.objectContaining({ tool: 'calculate', decision: 'deny', via: 'web' }) })]);

      // The grant is the one the chat's permissions read: Bob's decision for calculate is now deny.
      const grants = await hearth!.hearth.database.rows<{ tool: string; decision: string; granted_by: string }>(sql`select tool, decision, granted_by from tool_grants`);
      expect(grants).toEqual([{ tool: 'calculate', decision: 'deny', granted_by: 'web' }]);
    });

    it('forgets a memory, for good, from the memories page', async () => {
      const member = await addPerson(hearth!, 'Bob', 'member', bob);
      await adapter.inject({ conversation: bobDm, sender: bob, text: '/remember my locker code is under the blue mug' });
      await adapter.inject({ conversation: bobDm, sender: bob, text: '/remember I like green tea' });
      await hearth!.idle();
      await signIn();
      await page.goto(`${base}/memories?person=${member.id}`);
      await expect.poll(() => page.locator('#memories tbody tr').count()).toBe(2);
      await page.getByLabel('Containing').fill('blue mug');
      await page.getByRole('button', { name: 'Show' }).click();
      await expect.poll(() => page.locator('#memories tbody tr').count()).toBe(1);
      await page.locator('#memories tr', { hasText: 'blue mug' }).getByRole('button', { name: 'Forget' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toMatch(/forgot memory #\d+/);
      expect(await page.locator('#no-memories').textContent()).toContain('blue mug');

      const left = await hearth!.hearth.database.rows<{ text: string }>(sql`select text from memories`);
      expect(left.map((r) => r.text)).toEqual(['I like green tea']);
      const deleted = await audit('memory.deleted');
      expect(deleted).toEqual([expect.objectContaining({ detail: expect.objectContaining({ via: 'web', ownerPersonId: member.id }) })]);
      expect(JSON.stringify(deleted)).not.toContain('blue mug');
    });

    it('runs audit verify and shows the result', async () => {
      await signIn();
      await page.getByRole('link', { name: 'Audit' }).click();
      await page.getByRole('button', { name: 'Verify the audit chain' }).click();
      await expect.poll(() => page.locator('#verify-result').textContent()).toMatch(/The audit chain is intact: \d+ records/);
      expect(await page.locator('#audit').textContent()).toContain('web.login');
    });

    it('refuses a form posted without its CSRF token, and changes nothing', async () => {
      const member = await addPerson(hearth!, 'Bob', 'member', bob);
      await signIn();
      const cookie = (await browser.cookies(base)).find((c) => c.name === 'hearth_session')!;
      const post = (body: string) => fetch(`${base}/people/${member.id}/role`, { method: 'POST', redirect: 'manual', headers: { cookie: `hearth_session=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' }, body });
      const refused = await post('role=guest');
      expect(refused.status).toBe(403);
      expect(await refused.text()).toMatch(/CSRF/);
      expect((await post('role=guest&_csrf=guessed')).status).toBe(403);
      expect((await hearth!.hearth.gateway.people.get(member.id))?.role).toBe('member');
      expect(await audit('web.csrf_refused')).toHaveLength(2);
      expect(await audit('role.changed')).toHaveLength(0);

      // The same change from the page itself (with its token) goes through.
      await page.goto(`${base}/people/${member.id}`);
      await page.getByLabel('Role').selectOption('guest');
      await page.getByRole('button', { name: 'Change role' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('Role changed from member to guest');
    });
  });
});
