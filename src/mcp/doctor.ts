/**
 * `hearth doctor` for MCP servers: starts each enabled server once (in its sandbox, exactly as
 * `hearth start` would), lists its tools, reports the tools Hearth leaves out and why, and stops
 * it. A server that runs without a sandbox is named every time, so the choice stays visible.
 */
import type { DoctorCheck } from '../core/index.ts';
import type { Config } from '../config/types.ts';
import { createLogger } from '../log.ts';
import { ToolCatalog } from '../tools/catalog.ts';
import { McpServers, describeSandbox, sourceOf } from './servers.ts';

export async function mcpChecks(config: Config): Promise<DoctorCheck[]> {
  if (Object.keys(config.mcp.servers).length === 0) return [];
  const catalog = new ToolCatalog();
  const servers = new McpServers({ config, catalog, log: createLogger({ level: 'silent' }), restart: false });
  try {
    const connections = await servers.open();
    await Promise.all(connections.map((c) => c.start()));
    return connections.flatMap((connection): DoctorCheck[] => {
      const name = `MCP server ${connection.name}`;
      const { config: server } = connection;
      if (!server.enabled) return [{ name, ok: true, detail: 'disabled (enabled: false)' }];
      const checks: DoctorCheck[] = [];
      if (server.transport === 'stdio' && server.sandbox === false) checks.push({ name, ok: true, detail: 'warning: runs without a sandbox (sandbox: false), with all of Hearth\'s rights and network access' });
      if (connection.state !== 'running') {
        checks.push({ name, ok: false, detail: connection.detail, fix: server.transport === 'http' ? `check that the server answers at ${server.url} and that its headers are right` : 'see the reason above; run the command by hand to see its own output, and see docs/tools.md → Troubleshooting' });
        return checks;
      }
      const tools = catalog.list().filter((t) => catalog.sourceOf(t.name) === sourceOf(connection.name));
      checks.push({ name, ok: true, detail: `${tools.length} tools (${tools.map((t) => t.name).join(', ') || 'none'}); ${describeSandbox(server)}` });
      for (const skip of servers.skipped.get(connection.name) ?? []) checks.push({ name: `${name}: ${skip.tool}`, ok: !skip.problem, detail: skip.problem ? skip.reason : `left out: ${skip.reason}`, fix: skip.fix });
      return checks;
    });
  } finally {
    await servers.stop();
  }
}
