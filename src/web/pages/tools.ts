/** Tools: every tool with its risk and who may use it; the MCP servers and their state. */
import { html } from 'hono/html';
import type { ToolRow } from '../../access/tool-table.ts';
import type { SourceStatus } from '../../tools/catalog.ts';
import type { Html } from '../page.ts';

interface ServerRow extends SourceStatus {
  source: string;
  server?: string;
  location?: string;
  sandbox?: string;
  tools?: number;
  skipped?: Array<{ tool: string; reason: string }>;
}

export function toolsPage(table: { tools: ToolRow[]; sources: Array<SourceStatus & { source: string }> }, roleNames: Record<string, string>): Html {
  const servers = table.sources.filter((s) => s.source.startsWith('mcp:')) as ServerRow[];
  return html`
    <div class="table"><table id="tools"><thead><tr><th>Tool</th><th>Risk</th><th>From</th><th>${roleNames.owner}</th><th>${roleNames.member}</th><th>${roleNames.guest}</th><th>Own grants</th></tr></thead><tbody>
      ${table.tools.map(
        (t) => html`<tr data-tool="${t.name}"><td><strong>${t.name}</strong><br /><span class="muted">${t.description}</span></td><td>${t.risk}</td><td>${t.source}</td><td>${t.roles.owner}</td><td>${t.roles.member}</td><td>${t.roles.guest}</td>
          <td>${t.grants.map((g) => html`<a href="/people/${g.person}">${g.name}</a>: ${g.decision}${g.key === t.name ? '' : html` <span class="muted">(${g.key})</span>`}<br />`)}</td></tr>`,
      )}
    </tbody></table></div>
    <h2>MCP servers</h2>
    ${servers.length
      ? html`<div class="table"><table id="servers"><thead><tr><th>Server</th><th>State</th><th>Tools</th><th>Runs</th></tr></thead><tbody>
          ${servers.map(
            (s) => html`<tr data-server="${s.server ?? s.source}"><td><strong>${s.server ?? s.source}</strong></td><td class="${s.state === 'running' ? 'ok' : 'warn'}">${s.state}<br /><span class="muted">${s.detail}</span></td><td>${s.tools ?? ''}</td>
              <td>${s.location ?? ''}<br /><span class="muted">${s.sandbox ?? ''}</span>${(s.skipped ?? []).map((k) => html`<br /><span class="warn">left out: ${k.tool} (${k.reason})</span>`)}</td></tr>`,
          )}
        </tbody></table></div>`
      : html`<p class="muted">No MCP servers are configured (docs/tools.md says how to add one).</p>`}`;
}
