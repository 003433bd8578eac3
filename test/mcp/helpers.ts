/**
 * Shared pieces for the MCP tests: where the real servers from npm and the test's own servers
 * live, a Streamable HTTP server-everything on a free port, Hearth started with MCP servers, and
 * the check for bubblewrap (sandbox tests skip loudly without it, and fail in CI).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startHearth, type Hearth, type HarnessOptions } from '../helpers/harness.ts';
import { afterEach, beforeEach } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { eventually, until } from '../helpers/eventually.ts';

export const EVERYTHING = resolve('node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const FILESYSTEM = resolve('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
export const SERVERS_FOLDER = resolve('test/mcp/servers');
export const fixture = (name: 'changing-server' | 'hostile-server') => join(SERVERS_FOLDER, `${name}.ts`);

export const temporaryFolder = (label: string) => mkdtempSync(join(tmpdir(), `hearth-mcp-${label}-`));

/** Hearth with these MCP servers, time enough for tool calls on a loaded machine, and a data folder for the servers' state. */
export async function startWithServers(servers: Record<string, unknown>, options: Partial<HarnessOptions> & { adapters: HarnessOptions['adapters']; mcp?: Record<string, unknown> }): Promise<Hearth> {
  const { config = {}, mcp = {}, ...rest } = options;
  const hearth = await startHearth({
    owner: 'test:owner-1',
    ...rest,
    // These tests are about which tools a sender may use, so the model is offered all of them
    // (maxOfferedTools 0); choosing a few per turn has its own tests (test/tools/lean-prompt.test.ts).
    config: { dataDir: rest.dataDir ?? temporaryFolder('data'), ollama: { firstTokenTimeoutMs: 60_000, turnTimeoutMs: 120_000 }, agent: { maxOfferedTools: 0 }, ...config, mcp: { ...mcp, servers } },
  });
  // Hearth waits only so long for its servers; a loaded test machine may need longer for the first try.
  await until(() => hearth.hearth.gateway.catalog.status().every((s) => s.state !== 'starting'), 'every MCP server to finish its first start', 120_000);
  return hearth;
}

/** The tools the model was offered in its latest request. */
export const offered = (ollama: FakeOllama) => (ollama.chatRequests.at(-1)?.tools ?? []).map((t) => t.function.name);

/** What the model was told a tool returned, in the request after the call. */
export const toolResults = (ollama: FakeOllama) => ollama.chatRequests.flatMap((r) => r.messages.filter((m) => m.role === 'tool').map((m) => m.content));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

/** server-everything over Streamable HTTP, as its README starts it. */
export async function startEverythingHttp(): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await eventually(() => output.includes('listening on port') || (child.exitCode !== null && Promise.reject(new Error(output))), 'server-everything to listen', 60_000);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      const closed = new Promise((done) => child.once('close', done));
      child.kill('SIGKILL');
      await closed;
    },
  };
}

export interface Scenario {
  ollama: FakeOllama;
  adapter: TestAdapter;
  hearth: Hearth | undefined;
  /** Run after Hearth stops (servers the test started, listeners). */
  cleanups: Array<() => unknown>;
}

/** A fresh Ollama stand-in and test adapter per test; Hearth and whatever the test started are stopped after it. */
export function mcpScenario(): Scenario {
  const scenario = { cleanups: [] } as unknown as Scenario;
  beforeEach(async () => {
    scenario.ollama = await startFakeOllama();
    scenario.adapter = createTestAdapter();
  });
  afterEach(async () => {
    await scenario.hearth?.stop();
    scenario.hearth = undefined;
    for (const cleanup of scenario.cleanups.splice(0)) await cleanup();
    await scenario.ollama.close();
  });
  return scenario;
}
