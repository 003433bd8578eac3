/**
 * `hearth tools`: every tool Hearth offers, its risk and source, what each role gets and whose own
 * grants differ, then the MCP servers and how they are doing. Asks a running Hearth (admin API)
 * when it holds the embedded database, so the list is the gateway's own; otherwise builds the
 * same catalogue offline, where MCP servers show as configured but not running — starting
 * someone else's programs just to print a table is not what a listing should do unless asked:
 * `--start` starts each server for a moment and lists its tools.
 */
import type { Command } from 'commander';
import type { ToolRow } from '../access/tool-table.ts';
import { runAdmin } from './people.ts';

interface ServerRow {
  source: string;
  server?: string;
  transport?: string;
  location?: string;
  sandbox?: string;
  state: string;
  detail: string;
  tools?: number;
  skipped?: Array<{ tool: string; reason: string }>;
}

const pad = (text: string, width: number) => (text.length >= width ? `${text} ` : text.padEnd(width));

export function printTools(result: { tools: ToolRow[]; sources: ServerRow[] }, via: string): string {
  const width = Math.max(20, ...result.tools.map((t) => t.name.length + 2));
  const lines = [`${pad('TOOL', width)}${pad('RISK', 10)}${pad('SOURCE', 18)}${pad('OWNER', 7)}${pad('MEMBER', 8)}${pad('GUEST', 7)}GRANTS`];
  for (const tool of result.tools) {
    const grants = tool.grants.map((g) => `${g.name}: ${g.decision}${g.key === tool.name ? '' : ` (${g.key})`}`).join(', ');
    lines.push(`${pad(tool.name, width)}${pad(tool.risk, 10)}${pad(tool.source, 18)}${pad(tool.roles.owner, 7)}${pad(tool.roles.member, 8)}${pad(tool.roles.guest, 7)}${grants}`);
  }
  const servers = result.sources.filter((s) => s.source.startsWith('mcp:'));
  if (servers.length) {
    lines.push('', 'MCP servers:');
    for (const server of servers) {
      const offline = server.state === 'configured' && via === 'database';
      const state = offline ? 'configured, not running: Hearth is not running (`hearth tools --start` starts it briefly to list its tools)' : `${server.state}: ${server.detail}`;
      lines.push(`  ${server.server ?? server.source}  ${state}`);
      lines.push(`    ${server.transport === 'http' ? 'url' : 'command'}: ${server.location}`);
      lines.push(`    ${server.sandbox}`);
      for (const skip of server.skipped ?? []) lines.push(`    left out: ${skip.tool} (${skip.reason})`);
    }
  }
  lines.push('', via === 'database' ? 'Read from the database and configuration (Hearth is not running).' : `Read from the running Hearth at ${via}.`);
  return lines.join('\n');
}

export function registerToolsCommand(program: Command): void {
  program
    .command('tools')
    .description('every tool, its risk and source, who may use it; MCP servers and their state')
    .option('--json', 'print the raw JSON result')
    .option('--start', 'when Hearth is not running: start the MCP servers briefly to list their tools')
    .action((options: { start?: boolean }, command: Command) => runAdmin(command, 'tools', {}, printTools, { startServers: Boolean(options.start) }));
}
