/** Audit: search the log by person, tool, kind and time; check the hash chain. */
import { html } from 'hono/html';
import type { AuditRecord } from '../../audit/audit.ts';
import type { PersonDetails } from '../../access/people.ts';
import { csrfField, when, type Html } from '../page.ts';

export interface VerifyView {
  ok: boolean;
  text: string;
}

export function auditPage(options: { records: AuditRecord[]; people: PersonDetails[]; query: Record<string, string>; csrf: string; verify?: VerifyView }): Html {
  const { records, people, query, csrf, verify } = options;
  const names = new Map(people.map((p) => [p.id, p.displayName]));
  const field = (name: string, label: string, placeholder: string) => html`<label>${label}<input name="${name}" value="${query[name] ?? ''}" placeholder="${placeholder}" /></label>`;
  return html`
    <form method="post" action="/audit/verify" class="inline" id="verify-form">${csrfField(csrf)}<button type="submit">Verify the audit chain</button></form>
    ${verify ? html`<p id="verify-result" class="flash ${verify.ok ? 'ok' : 'error'}">${verify.text}</p>` : ''}
    <h2>Search</h2>
    <form method="get" action="/audit" class="filters">
      <label>Person<select name="person"><option value="">Anyone</option>${people.map((p) => html`<option value="${p.id}" ${p.id === query.person ? 'selected' : ''}>${p.displayName}</option>`)}</select></label>
      ${field('tool', 'Tool', 'calculate')}
      ${field('kind', 'Kind', 'tool.* or grant.set')}
      ${field('since', 'Since', '7d or 2026-01-31')}
      ${field('until', 'Until', '2026-02-01')}
      <button type="submit" class="secondary">Search</button>
    </form>
    ${records.length
      ? html`<div class="table"><table id="audit"><thead><tr><th>#</th><th>When</th><th>Kind</th><th>Who</th><th>Subject</th><th>Detail</th></tr></thead><tbody>
          ${records.map((r) => html`<tr><td>${r.id}</td><td>${when(r.at)}</td><td>${r.kind}</td><td>${r.actorPersonId ? (names.get(r.actorPersonId) ?? r.actorPersonId) : '—'}</td><td>${r.subject ?? ''}</td><td><code>${JSON.stringify(r.detail)}</code></td></tr>`)}
        </tbody></table></div>`
      : html`<p class="muted">No audit records match.</p>`}`;
}
