/**
 * The shell every web admin page shares (menu, flash message, sign-out) and the hook through
 * which a feature adds a page of its own. Built with hono/html: every interpolated value is
 * HTML-escaped unless wrapped in raw(), so names and memory texts cannot inject markup.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Person } from '../access/people.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

/** What a page is given to draw itself. */
export interface PageRequest {
  query: Record<string, string>;
  /** Put into every form as `_csrf`; see `csrfField`. */
  csrf: string;
}

/**
 * A page a feature adds to the web admin (the reminders page of src/schedule, for one): it is
 * listed in the menu and served at `/<path>` behind the same sign-in. A form on it posts to
 * `/<path>/<action>` with the CSRF field; `act` does the change (through the feature's own
 * code, which audits it) and returns what to tell the owner.
 */
export interface AdminPage {
  /** One path segment, e.g. 'reminders'. */
  path: string;
  title: string;
  render(request: PageRequest): Html;
  act?(action: string, form: Record<string, string>, owner: Person): Promise<string>;
}

export interface MenuItem {
  path: string;
  title: string;
}

export const builtInMenu: MenuItem[] = [
  { path: '/', title: 'Status' },
  { path: '/people', title: 'People' },
  { path: '/requests', title: 'Requests' },
  { path: '/memories', title: 'Memories' },
  { path: '/audit', title: 'Audit' },
  { path: '/tools', title: 'Tools' },
];

export const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}" />`;

export function layout(options: { title: string; agentName: string; menu: MenuItem[]; current: string; csrf?: string; flash?: Flash; body: Html }): Html {
  const { title, agentName, menu, current, csrf, flash, body } = options;
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>${title} · ${agentName}</title>
    <link rel="stylesheet" href="/assets/hearth.css" />
    <script src="/assets/htmx.min.js" defer></script>
  </head>
  <body hx-boost="true">
    <header>
      <strong class="brand">${agentName}</strong>
      ${csrf
        ? html`<nav>
              ${menu.map((item) => html`<a href="${item.path}" ${item.path === current ? html`aria-current="page"` : ''}>${item.title}</a>`)}
            </nav>
            <form method="post" action="/logout" class="logout">${csrfField(csrf)}<button type="submit" class="link">Sign out</button></form>`
        : ''}
    </header>
    <main>
      <h1>${title}</h1>
      ${flash ? html`<p class="flash ${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${flash.text}</p>` : ''}
      ${body}
    </main>
  </body>
</html>`;
}

export const when = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '—');
