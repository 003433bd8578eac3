/**
 * The reminders page of the web admin: every active reminder and routine, for whom, who set it,
 * when it fires next (in its own time zone), and a Cancel button that cancels it through the
 * same code and audit record as the chat's /cancel.
 */
import { html } from 'hono/html';
import type { FeatureDependencies } from '../pipeline/feature.ts';
import type { AdminPage } from '../web/page.ts';
import { csrfField } from '../web/page.ts';
import { localTime } from '../time/format.ts';
import { cancelAndRecord } from './commands.ts';
import type { ReminderStore } from './store.ts';

export function remindersPage(deps: FeatureDependencies, store: ReminderStore): AdminPage {
  return {
    path: 'reminders',
    title: 'Reminders',
    async render({ csrf }) {
      const active = await store.active();
      const names = new Map((await deps.people.list()).map((p) => [p.id, p.displayName]));
      if (!active.length) return html`<p class="muted" id="no-reminders">No reminders or routines are set. People set them in chat: /remind in 10 minutes check the oven, /routine every weekday at 7:30 tell me what is on today.</p>`;
      return html`<div class="table"><table id="reminders"><thead><tr><th>For</th><th>What</th><th>When</th><th>Set by</th><th></th></tr></thead><tbody>
        ${active.map(
          (r) => html`<tr data-reminder="${r.id}"><td>${names.get(r.personId) ?? r.personId}</td><td>${r.kind === 'routine' ? html`<span class="muted">routine:</span> ` : ''}${r.text}</td>
            <td>${r.repeat ? `${r.repeat.description}, next ${localTime(r.nextAt, r.timeZone)}` : localTime(r.nextAt, r.timeZone)}<br /><span class="muted">${r.timeZone}</span></td><td>${names.get(r.createdBy) ?? r.createdBy}</td>
            <td><form method="post" action="/reminders/cancel" class="inline">${csrfField(csrf)}<input type="hidden" name="id" value="${r.id}" /><button type="submit" class="secondary">Cancel</button></form></td></tr>`,
        )}
      </tbody></table></div>`;
    },
    async act(action, form, owner) {
      if (action !== 'cancel') throw new Error(`the reminders page has no "${action}"`);
      const target = /^\d{1,15}$/.test(form.id ?? '') ? await store.get(Number(form.id)) : undefined;
      if (!target || target.status !== 'active' || !(await cancelAndRecord(deps, store, target, { actorPersonId: owner.id, platform: 'web', via: 'web' }))) {
        throw new Error(`Reminder ${form.id ?? ''} has just fired or was cancelled already.`);
      }
      return `Cancelled ${target.kind === 'routine' ? 'the routine' : 'the reminder'} for ${(await deps.people.get(target.personId))?.displayName ?? target.personId}: ${target.text}`;
    },
  };
}
