/** People: everyone with their role and accounts; one person's role, accounts and tool grants. */
import { html } from 'hono/html';
import type { PersonDetails } from '../../access/people.ts';
import { csrfField, type Html } from '../page.ts';

type Listed = PersonDetails & { roleName: string };

const accounts = (list: PersonDetails['accounts']) => list.map((a) => `${a.platform}:${a.accountId}`).join(', ') || '(no accounts)';

export function peoplePage(people: Listed[]): Html {
  return html`<div class="table"><table id="people">
    <thead><tr><th>Name</th><th>Role</th><th>Accounts</th></tr></thead>
    <tbody>${people.map((p) => html`<tr data-person="${p.id}"><td><a href="/people/${p.id}">${p.displayName}</a></td><td class="role">${p.roleName}</td><td>${accounts(p.accounts)}</td></tr>`)}</tbody>
  </table></div>
  <p class="muted">Strangers who asked to be let in are on the <a href="/requests">Requests</a> page.</p>`;
}

export interface PersonView {
  person: PersonDetails;
  roleName: string;
  roleNames: { member: string; guest: string };
  tools: Array<{ tool: string; risk: string; decision: string; source: string }>;
  tokensToday: number;
  tokenLimit: number | null;
}

const DECISIONS = ['allow', 'ask', 'deny'] as const;

export function personPage(view: PersonView, csrf: string): Html {
  const { person, tools } = view;
  const base = `/people/${person.id}`;
  return html`
    <p><a href="/people">← Everyone</a></p>
    <section class="cards">
      <div class="card">
        <h3>Role</h3>
        ${person.role === 'owner'
          ? html`<p>${view.roleName}. The owner is set by HEARTH_OWNER or claimed with <code>hearth owner claim</code>.</p>`
          : html`<form method="post" action="${base}/role" class="inline" id="role-form">${csrfField(csrf)}
              <select name="role" aria-label="Role">
                <option value="member" ${person.role === 'member' ? 'selected' : ''}>${view.roleNames.member}</option>
                <option value="guest" ${person.role === 'guest' ? 'selected' : ''}>${view.roleNames.guest}</option>
              </select>
              <button type="submit">Change role</button>
            </form>`}
        <p class="muted">Model tokens today: ${view.tokensToday}${view.tokenLimit ? ` of ${view.tokenLimit}` : ''}</p>
      </div>
      <div class="card" id="accounts">
        <h3>Accounts</h3>
        ${person.accounts.length ? '' : html`<p class="muted">No chat accounts.</p>`}
        ${person.accounts.map(
          (a) => html`<form method="post" action="${base}/accounts/unlink" class="inline">${csrfField(csrf)}<input type="hidden" name="account" value="${a.platform}:${a.accountId}" /><span>${a.platform}:${a.accountId}${a.displayName ? ` (${a.displayName})` : ''}</span> <button type="submit" class="secondary">Unlink</button></form>`,
        )}
        <form method="post" action="${base}/accounts" class="inline">${csrfField(csrf)}
          <input name="account" placeholder="telegram:123456789" aria-label="Account to link" required />
          <button type="submit" class="secondary">Link</button>
        </form>
      </div>
    </section>
    <h2>Tools</h2>
    <p class="muted">What ${person.displayName} may use. "default" removes their own grant, so their role decides again.</p>
    <div class="table"><table id="grants">
      <thead><tr><th>Tool</th><th>Risk</th><th>Now</th><th>Change</th></tr></thead>
      <tbody>${tools.map(
        (t) => html`<tr data-tool="${t.tool}"><td>${t.tool}</td><td>${t.risk}</td><td class="decision">${t.decision} <span class="muted">(${t.source})</span></td>
          <td><form method="post" action="${base}/grants" class="inline">${csrfField(csrf)}<input type="hidden" name="tool" value="${t.tool}" />
            <select name="decision" aria-label="Decision for ${t.tool}">
              ${DECISIONS.map((d) => html`<option value="${d}" ${t.source === 'grant' && t.decision === d ? 'selected' : ''}>${d}</option>`)}
              <option value="default" ${t.source === 'grant' ? '' : 'selected'}>default</option>
            </select>
            <button type="submit" class="secondary">Save</button></form></td></tr>`,
      )}</tbody>
    </table></div>
    <form method="post" action="${base}/grants" class="inline">${csrfField(csrf)}
      <input name="tool" placeholder="group:mcp:files or risk:external" aria-label="Grant key" required />
      <select name="decision" aria-label="Decision">${DECISIONS.map((d) => html`<option value="${d}">${d}</option>`)}<option value="default">default</option></select>
      <button type="submit" class="secondary">Set</button>
    </form>`;
}
