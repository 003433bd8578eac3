/** Requests: strangers waiting to be let in, and tool calls waiting for an approver. */
import { html } from 'hono/html';
import { csrfField, when, type Html } from '../page.ts';

export interface PairingView {
  id: number;
  platform: string;
  accountId: string;
  displayName: string;
  createdAt: Date | string;
  expiresAt: Date | string;
}

export interface ApprovalView {
  id: number;
  tool: string;
  arguments: unknown;
  platform: string;
  requesterName: string | null;
  createdAt: Date | string;
  expiresAt: Date | string;
}

const answer = (action: string, csrf: string) => html`<form method="post" action="${action}/approve" class="inline">${csrfField(csrf)}<button type="submit">Approve</button></form>
  <form method="post" action="${action}/deny" class="inline">${csrfField(csrf)}<button type="submit" class="secondary">Deny</button></form>`;

export function requestsPage(pairings: PairingView[], approvals: ApprovalView[], csrf: string): Html {
  return html`
    <h2>Waiting to be let in</h2>
    ${pairings.length
      ? html`<div class="table"><table id="pairings"><thead><tr><th>Who</th><th>Account</th><th>Asked</th><th>Until</th><th></th></tr></thead><tbody>
          ${pairings.map((p) => html`<tr data-pairing="${p.id}"><td>${p.displayName}</td><td>${p.platform}:${p.accountId}</td><td>${when(p.createdAt)}</td><td>${when(p.expiresAt)}</td><td>${answer(`/requests/pairing/${p.id}`, csrf)}</td></tr>`)}
        </tbody></table></div>`
      : html`<p class="muted" id="no-pairings">Nobody is waiting. A stranger who writes to the bot where pairing is on shows up here.</p>`}
    <h2>Tool calls waiting for approval</h2>
    ${approvals.length
      ? html`<div class="table"><table id="approvals"><thead><tr><th>Who</th><th>Tool</th><th>Arguments</th><th>Until</th><th></th></tr></thead><tbody>
          ${approvals.map((a) => html`<tr data-approval="${a.id}"><td>${a.requesterName ?? '—'} <span class="muted">on ${a.platform}</span></td><td>${a.tool}</td><td><pre>${JSON.stringify(a.arguments, null, 1)}</pre></td><td>${when(a.expiresAt)}</td><td>${answer(`/requests/approvals/${a.id}`, csrf)}</td></tr>`)}
        </tbody></table></div>`
      : html`<p class="muted" id="no-approvals">No tool call is waiting.</p>`}`;
}
