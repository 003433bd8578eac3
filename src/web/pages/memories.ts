/** Memories: one person's (or everyone's), searchable; forget one; export as JSONL. */
import { html } from 'hono/html';
import type { PersonDetails } from '../../access/people.ts';
import type { Memory } from '../../memory/store.ts';
import { csrfField, when, type Html } from '../page.ts';

const SCOPES = { person: 'private', room: 'this chat only', household: 'household' } as const;

export function memoriesPage(options: { people: PersonDetails[]; person?: string; search?: string; memories: Memory[]; csrf: string }): Html {
  const { people, person, search, memories, csrf } = options;
  const names = new Map(people.map((p) => [p.id, p.displayName]));
  const back = `/memories?${new URLSearchParams({ ...(person ? { person } : {}), ...(search ? { search } : {}) }).toString()}`;
  const exportHref = `/memories/export${person ? `?person=${encodeURIComponent(person)}` : ''}`;
  return html`
    <form method="get" action="/memories" class="filters">
      <label>Person<select name="person"><option value="">Everyone</option>${people.map((p) => html`<option value="${p.id}" ${p.id === person ? 'selected' : ''}>${p.displayName}</option>`)}</select></label>
      <label>Containing<input name="search" value="${search ?? ''}" placeholder="words" /></label>
      <button type="submit" class="secondary">Show</button>
      <a href="${exportHref}" hx-boost="false" download>Export${person ? ` ${names.get(person) ?? ''}'s private memories` : ' all'} (JSONL)</a>
    </form>
    ${memories.length
      ? html`<div class="table"><table id="memories"><thead><tr><th>#</th><th>Memory</th><th>Whose</th><th>Saved</th><th></th></tr></thead><tbody>
          ${memories.map(
            (m) => html`<tr data-memory="${m.id}"><td>${m.id}</td><td>${m.text}</td><td>${m.scope === 'person' ? (names.get(m.personId ?? '') ?? m.personId) : SCOPES[m.scope]}${m.scope === 'room' ? html`<br /><span class="muted">${m.roomKey}</span>` : ''}</td><td>${when(m.createdAt)}</td>
              <td><form method="post" action="/memories/${m.id}/forget" class="inline">${csrfField(csrf)}<input type="hidden" name="back" value="${back}" /><button type="submit" class="secondary">Forget</button></form></td></tr>`,
          )}
        </tbody></table></div>`
      : html`<p class="muted" id="no-memories">No memories${search ? ` containing "${search}"` : ''}.</p>`}`;
}
