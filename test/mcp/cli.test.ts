/**
 * `hearth tools` and `hearth doctor` with MCP servers, run as the owner types them: doctor starts
 * each server, lists its tools and names the ones that fail with the fix; `hearth tools` shows
 * every tool with its risk, source and who may use it — offline from the same catalogue (servers
 * configured but not running, or started briefly with --start), and from a running Hearth
 * through its admin API, which sees the live servers.
 */
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { runHearth } from '../helpers/run-hearth.ts';
import { until } from '../helpers/eventually.ts';
import { EVERYTHING, startWithServers, temporaryFolder } from './helpers.ts';

const TIMEOUT = { timeoutMs: 200_000 };

// Each test runs the hearth command (a fresh Node with the embedded database) several times.
describe('hearth tools and hearth doctor with MCP servers', { timeout: 400_000 }, () => {
  let ollama: FakeOllama;
  let folder: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    ollama = await startFakeOllama();
    folder = temporaryFolder('cli');
    const config = join(folder, 'hearth.config.yaml');
    writeFileSync(
      config,
      [
        'mcp:',
        '  servers:',
        '    everything:',
        `      command: node`,
        `      args: [${JSON.stringify(EVERYTHING)}, stdio]`,
        '      sandbox: false',
        '      risk: read',
        '      tools:',
        '        echo: { risk: external, defaultDecision: { member: deny } }',
        '        get-env: off',
        '        no-such-tool: write',
        '    broken:',
        '      command: node',
        `      args: ["-e", "console.error('GITHUB_TOKEN is not set'); process.exit(3)"]`,
        '      sandbox: false',
        '',
      ].join('\n'),
    );
    env = { HEARTH_CONFIG: config, HEARTH_DATA_DIR: join(folder, 'data'), OLLAMA_HOST: ollama.url, HEARTH_OWNER: 'test:owner-1' };
  });
  afterEach(async () => {
    await ollama.close();
  });

  it('doctor starts each server, lists its tools, and reports what fails with the fix', async () => {
    const doctor = await runHearth(['doctor'], env, TIMEOUT);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✓ MCP server everything: \d+ tools \(everything_echo, .*everything_get-sum.*\); NOT sandboxed/);
    expect(doctor.stdout).not.toContain('everything_get-env');
    expect(doctor.stdout).toMatch(/✓ MCP server everything: warning: runs without a sandbox \(sandbox: false\)/);
    expect(doctor.stdout).toMatch(/✗ MCP server everything: no-such-tool: the settings name this tool, but the server does not offer it\n\s+fix: check the spelling under tools \(the server offers: echo, /);
    expect(doctor.stdout).toMatch(/✗ MCP server broken: the server process exited with code 3; it said: GITHUB_TOKEN is not set\n\s+fix: /);
  });

  it('lists tools offline: servers configured but not running, or started briefly with --start, with role decisions and grants', async () => {
    const listed = await runHearth(['tools'], env, TIMEOUT);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^TOOL\s+RISK\s+SOURCE\s+OWNER\s+MEMBER\s+GUEST\s+GRANTS$/m);
    expect(listed.stdout).toMatch(/^calculate\s+read\s+builtin\s+allow\s+allow\s+allow/m);
    expect(listed.stdout).toMatch(/everything\s+configured, not running: Hearth is not running \(`hearth tools --start` starts it briefly/);
    expect(listed.stdout).not.toContain('everything_echo');
    expect(listed.stdout).toContain('Read from the database and configuration');

    const grant = await runHearth(['people', 'grant', 'test:owner-1', 'mcp:everything:*', 'ask'], env, TIMEOUT);
    expect(grant.stdout).toMatch(/mcp:everything:\* → ask/);

    const started = await runHearth(['tools', '--start', '--json'], env, TIMEOUT);
    const result = JSON.parse(started.stdout) as { tools: Array<{ name: string; risk: string; source: string; roles: Record<string, string>; grants: Array<{ key: string; decision: string }> }>; sources: Array<{ source: string; state: string; detail: string }> };
    const echo = result.tools.find((t) => t.name === 'everything_echo')!;
    expect(echo).toMatchObject({ risk: 'external', source: 'mcp:everything', roles: { owner: 'allow', member: 'deny', guest: 'deny' }, grants: [{ key: 'mcp:everything:*', decision: 'ask' }] });
    expect(result.tools.find((t) => t.name === 'everything_get-sum')).toMatchObject({ risk: 'read', roles: { owner: 'allow', member: 'allow', guest: 'allow' } });
    expect(result.tools.find((t) => t.name === 'calculate')!.grants).toEqual([]);
    expect(result.sources.find((s) => s.source === 'mcp:everything')).toMatchObject({ state: 'running' });
    expect(result.sources.find((s) => s.source === 'mcp:broken')!.detail).toMatch(/exited with code 3; it said: GITHUB_TOKEN is not set/);
  });

  it('asks a running Hearth through its admin API, which sees its live servers', async () => {
    const token = 'tools-admin-token-0123456789abcdef';
    const h = await startWithServers({ everything: { command: 'node', args: [EVERYTHING, 'stdio'], sandbox: false, risk: 'read' } }, { adapters: [createTestAdapter()], ollama, dataDir: env.HEARTH_DATA_DIR, config: { access: { adminToken: token } } });
    const server = serve({ fetch: h.hearth.http.fetch, port: 0, hostname: '127.0.0.1' });
    try {
      await new Promise((listening) => server.once('listening', listening));
      await until(() => h.hearth.gateway.catalog.get('everything_echo'), 'the server in the running Hearth', 60_000);
      const port = String((server.address() as AddressInfo).port);
      const listed = await runHearth(['tools'], { ...env, HEARTH_HTTP_PORT: port, HEARTH_ADMIN_TOKEN: token }, TIMEOUT);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^everything_echo\s+read\s+mcp:everything\s+allow\s+allow\s+allow/m);
      expect(listed.stdout).toMatch(/everything\s+running: offers \d+ tools/);
      expect(listed.stdout).toContain(`Read from the running Hearth at http://127.0.0.1:${port}`);
    } finally {
      server.close();
      await h.stop();
    }
  });
});
