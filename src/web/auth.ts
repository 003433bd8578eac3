/**
 * Signing in to the web admin: with the admin token (HEARTH_ADMIN_TOKEN, compared in constant
 * time) or with a one-time link from `hearth admin link`. The login form carries a CSRF token of
 * its own (a cookie and a field that must match), failed attempts are audited and throttled per
 * client address, and a session is an HttpOnly, SameSite=Strict cookie that expires.
 */
import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { RateLimiterMemory } from '../rate-limiter.ts';
import type { Access } from '../access/access.ts';
import type { Clock } from '../pipeline/clock.ts';
import { tokenMatches } from '../http/admin.ts';
import { clientOf } from '../http/client.ts';
import { redeemLoginLink } from './login-links.ts';
import { layout, type Flash } from './page.ts';
import { SESSION_COOKIE, WebSessions, type WebSession } from './sessions.ts';

const LOGIN_CSRF_COOKIE = 'hearth_login_csrf';

export interface Auth {
  sessions: WebSessions;
  /** The signed-in session of this request, if any. */
  session(c: Context): WebSession | undefined;
  /** 403 for a form without the session's CSRF token; audited. */
  refuseCsrf(c: Context): Promise<Response>;
}

const minutes = (ms: number) => `${Math.max(1, Math.ceil(ms / 60_000))} minute${ms > 60_000 ? 's' : ''}`;

export function authRoutes(app: Hono, options: { access: Access; clock: Clock; maxFailures?: number }): Auth {
  const { access, clock } = options;
  const sessions = new WebSessions(clock);
  const failures = new RateLimiterMemory({ points: options.maxFailures ?? 10, duration: 15 * 60 });
  const token = access.config.access.adminToken;

  const loginPage = (c: Context, flash?: Flash, status: 200 | 401 | 403 | 429 = 200) => {
    const csrf = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'Strict', path: '/login', maxAge: 3600 });
    c.header('Cache-Control', 'no-store');
    const body = html`
      ${token
        ? html`<form method="post" action="/login" class="stack" hx-boost="false">
            <input type="hidden" name="_csrf" value="${csrf}" />
            <label for="token">Admin token (HEARTH_ADMIN_TOKEN)</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
            <button type="submit">Sign in</button>
          </form>`
        : html`<p>No admin token is set (HEARTH_ADMIN_TOKEN), so only a login link works.</p>`}
      <p class="muted">Or run <code>hearth admin link</code> on the machine Hearth runs on, and open the link it prints (it works once, for 15 minutes).</p>`;
    return c.html(layout({ title: 'Sign in', agentName: access.config.agent.name, menu: [], current: '/login', flash, body }), status);
  };

  /** Counts a failure for this client, audits it, and says why (or that it must wait). */
  const failed = async (c: Context, reason: string, how: 'token' | 'link') => {
    const client = await clientOf(c);
    await failures.consume(client).catch(() => undefined);
    await access.audit.record({ kind: 'web.login_failed', detail: { how, reason, client } });
    return loginPage(c, { kind: 'error', text: how === 'token' ? 'That is not the admin token.' : 'That login link does not work: it was already used, has expired, or was mistyped. Run `hearth admin link` for a new one.' }, how === 'token' ? 401 : 403);
  };

  /** undefined when this client may try; otherwise the refusal, audited. */
  const throttled = async (c: Context, how: 'token' | 'link') => {
    const client = await clientOf(c);
    const state = await failures.get(client);
    if (!state || state.remainingPoints > 0) return undefined;
    await access.audit.record({ kind: 'web.login_failed', detail: { how, reason: 'too many failed attempts', client } });
    c.header('Retry-After', String(Math.ceil(state.msBeforeNext / 1000)));
    return loginPage(c, { kind: 'error', text: `Too many failed sign-ins from here. Try again in ${minutes(state.msBeforeNext)}.` }, 429);
  };

  const signIn = async (c: Context, how: WebSession['method']) => {
    const session = sessions.open(how);
    setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'Strict', path: '/', maxAge: Math.floor(sessions.ttlMs / 1000) });
    deleteCookie(c, LOGIN_CSRF_COOKIE, { path: '/login' });
    const owner = await access.people.owner();
    await access.audit.record({ kind: 'web.login', actorPersonId: owner?.id ?? null, detail: { how, client: await clientOf(c) } });
    return c.redirect('/', 303);
  };

  app.get('/login', (c) => loginPage(c));

  app.post('/login', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const expected = getCookie(c, LOGIN_CSRF_COOKIE);
    if (!expected || typeof form._csrf !== 'string' || !tokenMatches(form._csrf, expected)) {
      await access.audit.record({ kind: 'web.csrf_refused', subject: '/login', detail: { client: await clientOf(c) } });
      return loginPage(c, { kind: 'error', text: 'The sign-in form had expired. Please try again.' }, 403);
    }
    const refused = await throttled(c, 'token');
    if (refused) return refused;
    const given = typeof form.token === 'string' ? form.token.trim() : '';
    if (!token || !given || !tokenMatches(given, token)) return failed(c, token ? 'wrong token' : 'no admin token is set', 'token');
    return signIn(c, 'token');
  });

  app.get('/login/link', async (c) => {
    const refused = await throttled(c, 'link');
    if (refused) return refused;
    if (!(await redeemLoginLink(access.database.db, c.req.query('token') ?? '', clock.now()))) return failed(c, 'unknown, used or expired link', 'link');
    return signIn(c, 'link');
  });

  const session = (c: Context) => sessions.find(getCookie(c, SESSION_COOKIE));

  app.post('/logout', async (c) => {
    const current = session(c);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    if (current && typeof form._csrf === 'string' && sessions.csrfMatches(current, form._csrf)) sessions.close(current.id);
    else if (current) return refuseCsrf(c);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/login', 303);
  });

  const refuseCsrf = async (c: Context) => {
    await access.audit.record({ kind: 'web.csrf_refused', subject: c.req.path, detail: { method: c.req.method, client: await clientOf(c) } });
    return c.text('Refused: this form did not carry a valid CSRF token. Reload the page and try again.', 403);
  };

  return { sessions, session, refuseCsrf };
}
