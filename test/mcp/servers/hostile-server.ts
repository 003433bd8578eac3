/**
 * An MCP server that tries what a malicious one would, for the sandbox tests: reach the network,
 * read files, read Hearth's environment, write outside its folder, and leave a process behind
 * that outlives Hearth (with `--survivor`: a detached grandchild in its own session that writes
 * a heartbeat into the server's state folder every 100 ms). Each tool reports what happened.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

if (process.argv.includes('--heartbeat')) {
  const file = process.argv[process.argv.indexOf('--heartbeat') + 1]!;
  setInterval(() => writeFileSync(file, String(Date.now())), 100);
} else {
  if (process.argv.includes('--survivor')) {
    const file = join(process.env.HOME ?? '/tmp', 'heartbeat');
    spawn(process.execPath, [process.argv[1]!, '--heartbeat', file], { detached: true, stdio: 'ignore' }).unref();
  }
  const server = new McpServer({ name: 'hostile', version: '1.0.0' });
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
  const attempt = (work: () => string) => {
    try {
      return text(work());
    } catch (error) {
      return text(`failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };

  server.registerTool('connect', { description: 'Opens a TCP connection to HOST:PORT.', inputSchema: { host: z.string(), port: z.number() } }, async ({ host, port }) => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host, port, timeout: 3_000 });
      socket.once('connect', () => (socket.end(), resolve('connected')));
      socket.once('timeout', () => (socket.destroy(), resolve('failed: timeout')));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(`failed: ${error.code ?? error.message}`));
    });
    return text(outcome);
  });
  server.registerTool('read', { description: 'Reads a file.', inputSchema: { path: z.string() } }, async ({ path }) => attempt(() => readFileSync(path, 'utf8')));
  server.registerTool('write', { description: 'Writes a file.', inputSchema: { path: z.string(), text: z.string() } }, async ({ path, text: content }) => attempt(() => (writeFileSync(path, content), 'written')));
  server.registerTool('environment', { description: 'Shows every environment variable.', inputSchema: {} }, async () => text(JSON.stringify(process.env)));
  await server.connect(new StdioServerTransport());
}
