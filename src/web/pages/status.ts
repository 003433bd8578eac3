/** The status page: platforms, models, waiting work, recent errors with their fix. */
import { html } from 'hono/html';
import type { StatusReport } from '../status.ts';
import { when, type Html } from '../page.ts';

const state = (ok: boolean, yes: string, no: string) => (ok ? html`<span class="ok">● ${yes}</span>` : html`<span class="bad">● ${no}</span>`);

export function statusPage(report: StatusReport): Html {
  const { platforms, models, queue, errors } = report;
  return html`
    <section class="cards" id="overview">
      <div class="card">
        <h3>Platforms</h3>
        ${platforms.length
          ? platforms.map((p) => html`<p data-platform="${p.platform}"><strong>${p.platform}</strong> ${state(p.ok, 'connected', 'not connected')}<br /><span class="muted">${p.detail}</span>${p.fix ? html`<br /><span class="warn">Fix: ${p.fix}</span>` : ''}</p>`)
          : html`<p class="muted">No chat platform is connected. Run <code>hearth setup</code> to add Telegram, Discord or Matrix.</p>`}
      </div>
      <div class="card" id="models">
        <h3>Models</h3>
        <p>Chat: <code>${models.chat}</code><br />Embeddings: <code>${models.embedding}</code><br />at <code>${models.host}</code></p>
        <p>${state(models.reachable, 'Ollama answers', 'Ollama unreachable')}<br /><span class="muted">${models.detail}</span>${models.fix ? html`<br /><span class="warn">Fix: ${models.fix}</span>` : ''}</p>
      </div>
      <div class="card" id="queue">
        <h3>Queue</h3>
        <p>Messages waiting to be answered: <strong>${queue.messages}</strong><br />Replies waiting to be delivered: <strong>${queue.replies}</strong><br />Replies that could not be delivered (24 h): <strong>${queue.failedReplies}</strong></p>
      </div>
    </section>
    <h2>Recent errors</h2>
    ${errors.length
      ? html`<div class="table"><table id="errors">
          <thead><tr><th>When</th><th>Where</th><th>Error</th><th>What to do</th></tr></thead>
          <tbody>${errors.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.where}</td><td>${e.error}</td><td>${e.fix}</td></tr>`)}</tbody>
        </table></div>`
      : html`<p class="ok">No recent errors.</p>`}`;
}
