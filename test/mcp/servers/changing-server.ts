/**
 * A small MCP server for the tests, built with the official SDK, that does what the npm servers
 * cannot be made to do on cue: change its tool list while running (`add_tool`), crash (`crash`),
 * and refuse to start while the file named by $BROKEN_MARKER exists — so a test can keep it down
 * exactly as long as it needs, then let it come back. `starts` counts the process's lives.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const marker = process.env.BROKEN_MARKER;
if (marker && existsSync(marker)) {
  console.error(`refusing to start: ${readFileSync(marker, 'utf8')}`);
  process.exit(2);
}
const counter = process.env.START_COUNTER;
const starts = counter && existsSync(counter) ? Number(readFileSync(counter, 'utf8')) + 1 : 1;
if (counter) writeFileSync(counter, String(starts));

const server = new McpServer({ name: 'changing', version: '1.0.0' });
const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

server.registerTool('starts', { description: 'How many times this server has started.', inputSchema: {} }, async () => text(`started ${starts} time(s)`));
server.registerTool('add_tool', { description: 'Adds a tool called NAME that answers with its name.', inputSchema: { name: z.string() } }, async ({ name }) => {
  server.registerTool(name, { description: `The ${name} tool.`, inputSchema: {} }, async () => text(`this is ${name}`));
  return text(`added ${name}`);
});
server.registerTool('crash', { description: 'Stops this server at once; with "stay_down", it will not start again until the marker file is removed.', inputSchema: { stay_down: z.string().optional() } }, async ({ stay_down }) => {
  if (stay_down && marker) writeFileSync(marker, stay_down);
  console.error('crashing on purpose');
  process.exit(1);
});

await server.connect(new StdioServerTransport());
