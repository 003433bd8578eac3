/**
 * The web admin at `/`: server-rendered pages (hono/html) with htmx (served from node_modules, no
 * CDN) boosting links and forms, so it also works with JavaScript off. Every page needs a
 * session (admin token or one-time link, see auth.ts); every form posts the session's CSRF
 * token and is refused without it. Changes run the admin operations (src/http/admin-operations.ts)
 * with via 'web', so they are the same code and the same audit records as the CLI and chat.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { Access } from '../access/access.ts';
import type { Clock } from '../pipeline/clock.ts';
import type { Feature } from '../pipeline/feature.ts';
import type { Person } from '../access/people.ts';
import type { AuditRecord } from '../audit/audit.ts';
import type { VerifyResult } from '../audit/verify.ts';
import type { Memory } from '../memory/store.ts';
import type { ToolRow } from '../access/tool-table.ts';
import type { SourceStatus } from '../tools/catalog.ts';
import { OperationError, operations, type OperationName, type Params } from '../http/admin-operations.ts';
import { statusReport } from './status.ts';
import { authRoutes, type Auth } from './auth.ts';
import { builtInMenu, layout, type AdminPage, type Flash, type Html } from './page.ts';
import type { WebSession } from './sessions.ts';
import { statusPage } from './pages/status.ts';
import { peoplePage, personPage, type PersonView } from './pages/people.ts';
import { requestsPage, type ApprovalView, type PairingView } from './pages/requests.ts';
import { memoriesPage } from './pages/memories.ts';
import { auditPage } from './pages/audit.ts';
import { toolsPage } from './pages/tools.ts';

export interface WebOptions {
  access: Access;
  clock: Clock;
  health(): Array<{ platform: string; ok: boolean; detail: string }>;
  /** The features of this Hearth, for the pages they add (adminPage). */
  features(): Feature[];
  /** Failed sign-ins per client before it waits (default 10 per 15 minutes). */
  maxFailures?: number;
}

const require = createRequire(import.meta.url);
const assets = {
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  'hearth.css': { file: new URL('./hearth.css', import.meta.url).pathname, type: 'text/css; charset=utf-8' },
} as const;

type Form = Record<string, string>;

export function webRoutes(app: Hono, options: WebOptions): void {
  const { access } = options;
  const auth: Auth = authRoutes(app, { access, clock: options.clock, maxFailures: options.maxFailures });
  const flashes = new WeakMap<WebSession, Flash>();
  const extraPages = () => options.features().flatMap((f) => (f.adminPage ? [f.adminPage] : []));
  const run = (name: OperationName, params: Params = {}) => operations[name].run(access, params, 'web') as Promise<any>;

  const render = (c: Context, session: WebSession, title: string, current: string, body: Html, status: 200 | 404 = 200) => {
    const flash = flashes.get(session);
    flashes.delete(session);
    const menu = [...builtInMenu, ...extraPages().map((p) => ({ path: `/${p.path}`, title: p.title }))];
    c.header('Cache-Control', 'no-store');
    return c.html(layout({ title, agentName: access.config.agent.name, menu, current, csrf: session.csrf, flash, body }), status);
  };

  /** A page: signed in, or off to the login page. */
  const page = (path: string, draw: (c: Context, session: WebSession) => Promise<Response>) =>
    app.get(path, async (c) => {
      const session = auth.session(c);
      return session ? draw(c, session) : c.redirect('/login', 303);
    });

  /** A change: signed in and the session's CSRF token in the form; then back to a page with what happened. */
  const action = (path: string, change: (c: Context, form: Form, owner: Person) => Promise<{ text: string; back: string }>) =>
    app.post(path, async (c) => {
      const session = auth.session(c);
      if (!session) return c.redirect('/login', 303);
      const form = await formOf(c);
      if (!session || !form._csrf || !auth.sessions.csrfMatches(session, form._csrf)) return auth.refuseCsrf(c);
      try {
        const owner = (await access.people.owner())!;
        const { text, back } = await change(c, form, owner);
        flashes.set(session, { kind: 'ok', text });
        return c.redirect(back, 303);
      } catch (error) {
        if (!(error instanceof OperationError)) throw error;
        flashes.set(session, { kind: 'error', text: error.message });
        return c.redirect(safeBack(form.back) ?? c.req.header('referer')?.replace(/^https?:\/\/[^/]+/, '') ?? '/', 303);
      }
    });

  app.get('/assets/:name', async (c) => {
    const asset = assets[c.req.param('name') as keyof typeof assets];
    if (!asset) return c.notFound();
    c.header('Content-Type', asset.type);
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(await readFile(asset.file));
  });

  page('/', async (c, session) => render(c, session, 'Status', '/', statusPage(await statusReport({ config: access.config, database: access.database, health: options.health }))));

  page('/people', async (c, session) => render(c, session, 'People', '/people', peoplePage((await run('list')).people)));
  page('/people/:person', async (c, session) => {
    const view = (await run('show', { person: c.req.param('person') }).catch(notFound)) as PersonView | undefined;
    if (!view) return render(c, session, 'Not found', '/people', html`<p>Nobody has the id ${c.req.param('person')}. <a href="/people">Everyone</a></p>`, 404);
    return render(c, session, view.person.displayName, '/people', personPage({ ...view, roleNames: access.roleNames }, session.csrf));
  });
  const personBack = (c: Context) => `/people/${encodeURIComponent(c.req.param('person') ?? '')}`;
  action('/people/:person/role', async (c, form) => {
    const result = await run('role', { person: c.req.param('person'), role: form.role });
    return { text: `Role changed from ${result.from} to ${result.to}.`, back: personBack(c) };
  });
  action('/people/:person/grants', async (c, form) => {
    const params = { person: c.req.param('person'), tool: form.tool, decision: form.decision };
    const result = form.decision === 'default' ? await run('revoke', params) : await run('grant', params);
    return { text: result.message, back: personBack(c) };
  });
  action('/people/:person/accounts', async (c, form) => {
    const result = await run('link', { person: c.req.param('person'), account: form.account });
    return { text: result.message, back: result.survivor ? `/people/${result.survivor}` : personBack(c) };
  });
  action('/people/:person/accounts/unlink', async (c, form) => ({ text: (await run('unlink', { person: c.req.param('person'), account: form.account })).message, back: personBack(c) }));

  page('/requests', async (c, session) => {
    const { pendingPairings } = (await run('list')) as { pendingPairings: PairingView[] };
    const { approvals } = (await run('approvals')) as { approvals: ApprovalView[] };
    return render(c, session, 'Requests', '/requests', requestsPage(pendingPairings, approvals, session.csrf));
  });
  for (const verb of ['approve', 'deny'] as const) {
    action(`/requests/pairing/:id/${verb}`, async (c) => ({ text: (await run(verb, { id: c.req.param('id') })).message, back: '/requests' }));
    action(`/requests/approvals/:id/${verb}`, async (c) => ({ text: (await run('approvalDecide', { id: c.req.param('id'), decision: verb })).message, back: '/requests' }));
  }

  page('/memories', async (c, session) => {
    const query = c.req.query();
    const people = (await run('list')).people;
    const { memories } = (await run('memories', { person: query.person || undefined, search: query.search || undefined })) as { memories: Memory[] };
    return render(c, session, 'Memories', '/memories', memoriesPage({ people, person: query.person || undefined, search: query.search || undefined, memories, csrf: session.csrf }));
  });
  page('/memories/export', async (c) => (await run('memoryExport', { person: c.req.query('person') || undefined })) as Response);
  action('/memories/:id/forget', async (c, form) => ({ text: (await run('memoryForget', { id: c.req.param('id') })).message, back: safeBack(form.back) ?? '/memories' }));

  const verifications = new WeakMap<WebSession, VerifyResult>();
  page('/audit', async (c, session) => {
    const query = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v));
    const people = (await run('list')).people;
    let records: AuditRecord[] = [];
    let problem: string | undefined;
    try {
      records = (await run('auditSearch', { ...query, limit: '200' })).records;
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      problem = error.message;
    }
    const verified = verifications.get(session);
    verifications.delete(session);
    if (problem) flashes.set(session, { kind: 'error', text: problem });
    return render(c, session, 'Audit', '/audit', auditPage({ records, people, query, csrf: session.csrf, verify: verified && describeVerify(verified) }));
  });
  app.post('/audit/verify', async (c) => {
    const session = auth.session(c);
    if (!session) return c.redirect('/login', 303);
    const form = await formOf(c);
    if (!auth.sessions.csrfMatches(session, form._csrf)) return auth.refuseCsrf(c);
    verifications.set(session, (await run('auditVerify')) as VerifyResult);
    return c.redirect('/audit', 303);
  });

  page('/tools', async (c, session) => render(c, session, 'Tools', '/tools', toolsPage((await run('tools')) as { tools: ToolRow[]; sources: Array<SourceStatus & { source: string }> }, access.roleNames)));

  // Pages other features add (reminders, …): same sign-in, same CSRF check, their own code and audit.
  app.get('/:page', async (c, next) => {
    const extra = extraPages().find((p) => p.path === c.req.param('page'));
    if (!extra) return next();
    const session = auth.session(c);
    if (!session) return c.redirect('/login', 303);
    return render(c, session, extra.title, `/${extra.path}`, extra.render({ query: c.req.query(), csrf: session.csrf }));
  });
  app.post('/:page/:action', async (c, next) => {
    const extra: AdminPage | undefined = extraPages().find((p) => p.path === c.req.param('page'));
    if (!extra?.act) return next();
    const session = auth.session(c);
    if (!session) return c.redirect('/login', 303);
    const form = await formOf(c);
    if (!auth.sessions.csrfMatches(session, form._csrf)) return auth.refuseCsrf(c);
    try {
      flashes.set(session, { kind: 'ok', text: await extra.act(c.req.param('action'), form, (await access.people.owner())!) });
    } catch (error) {
      flashes.set(session, { kind: 'error', text: (error as Error).message });
    }
    return c.redirect(`/${extra.path}`, 303);
  });
}

async function formOf(c: Context): Promise<Form> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('form')) return {};
  const body = await c.req.parseBody().catch(() => ({}));
  return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** Only a path on this site: a form's "back" must not send the browser elsewhere. */
function safeBack(back: string | undefined): string | undefined {
  return back && back.startsWith('/') && !back.startsWith('//') ? back : undefined;
}

function notFound(error: unknown): undefined {
  if (error instanceof OperationError && error.status === 404) return undefined;
  throw error;
}

function describeVerify(result: VerifyResult): { ok: boolean; text: string } {
  if (result.ok) return { ok: true, text: `The audit chain is intact: ${result.records} records${result.records ? ` (#${result.firstId}–#${result.lastId})` : ''}, newest hash ${result.headHash.slice(0, 16)}…${result.warnings.length ? `. Note: ${result.warnings.join('; ')}` : ''}` };
  return { ok: false, text: `The audit chain is broken: ${result.problems.map((p) => `record ${p.id} ${p.problem}`).join('; ')}` };
}
