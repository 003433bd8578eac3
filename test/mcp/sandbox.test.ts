/**
 * The sandbox stdio MCP servers run in (bubblewrap), proven from inside: server-filesystem reads
 * in the one folder it was granted and nowhere else; a hostile server cannot reach a TCP listener
 * on this machine, read files outside its grants, write outside its own folder, see Hearth's
 * secrets, or leave a process running after Hearth is killed. Without bubblewrap a sandboxed
 * server is not started and the owner is told how to install it or opt out.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, until } from '../helpers/eventually.ts';
import { describeNeeding } from '../helpers/requirements.ts';
import { FILESYSTEM, SERVERS_FOLDER, fixture, mcpScenario, startWithServers, temporaryFolder, toolResults } from './helpers.ts';

const ownerDm = { id: 'dm-owner', kind: 'direct' as const };
const owner = { accountId: 'owner-1', displayName: 'Olive' };
const SECRET = 'hearth-admin-secret-0123456789abcdef';

describe('MCP servers in the sandbox', { timeout: 240_000 }, () => {
  const scene = mcpScenario();

  /** Runs one tool call through a model turn and returns what the tool said. */
  const call = async (name: string, args: Record<string, unknown>) => {
    scene.ollama.reply({ toolCalls: [{ name, arguments: args }] }, 'ok');
    await scene.adapter.inject({ conversation: ownerDm, sender: owner, text: `call ${name}` });
    await scene.hearth!.idle();
    return toolResults(scene.ollama).at(-1)!;
  };

  it('does not start a sandboxed server without bubblewrap, and says how to install it or opt out', async () => {
    const path = process.env.PATH;
    process.env.PATH = resolve('node_modules/.bin'); // node is here; bwrap is not
    try {
      scene.hearth = await startWithServers(
        { boxed: { command: 'node', args: [fixture('changing-server')] }, open: { command: 'node', args: [fixture('changing-server')], sandbox: false } },
        { adapters: [scene.adapter], ollama: scene.ollama },
      );
    } finally {
      process.env.PATH = path;
    }
    const status = (source: string) => scene.hearth!.hearth.gateway.catalog.status().find((s) => s.source === source)!;
    expect(status('mcp:boxed').state).toBe('failed');
    expect(status('mcp:boxed').detail).toMatch(/bubblewrap \(bwrap\) is not installed, so it was not started\. Fix: install it \(`apt-get install bubblewrap`.*or.*set `sandbox: false` for it/);
    expect(scene.hearth!.logs.some((line) => line.includes('MCP server not started') && line.includes('apt-get install bubblewrap'))).toBe(true);
    // The one that opted out runs, with a warning at every start.
    await until(() => status('mcp:open').state === 'running', 'the unsandboxed server', 60_000);
    expect(scene.hearth!.logs.some((line) => line.includes('"level":40') && line.includes('MCP server open runs without a sandbox (sandbox: false)'))).toBe(true);
  });

  describeNeeding('bubblewrap', 'with bubblewrap', () => {
    it('lets server-filesystem read in its one granted folder, and nowhere else', async () => {
      const granted = temporaryFolder('granted');
      const outside = temporaryFolder('outside');
      writeFileSync(join(granted, 'shopping.txt'), 'milk, eggs, bread');
      writeFileSync(join(outside, 'diary.txt'), 'private');
      scene.hearth = await startWithServers({ files: { command: 'node', args: [FILESYSTEM, granted], risk: 'read', sandbox: { paths: [{ path: granted }] } } }, { adapters: [scene.adapter], ollama: scene.ollama });
      await until(() => scene.hearth!.hearth.gateway.catalog.get('files_read_text_file'), 'the filesystem tools', 60_000);

      expect(await call('files_read_text_file', { path: join(granted, 'shopping.txt') })).toBe('milk, eggs, bread');
      expect(await call('files_list_directory', { path: granted })).toContain('[FILE] shopping.txt');
      expect(await call('files_read_text_file', { path: join(outside, 'diary.txt') })).toMatch(/failed: .*(denied|outside)/i);
      // Read-only means read-only, even where the server itself would write.
      expect(await call('files_write_file', { path: join(granted, 'new.txt'), content: 'x' })).toMatch(/failed: .*(read-only|EROFS)/i);
      expect(existsSync(join(granted, 'new.txt'))).toBe(false);
    });

    it('keeps a hostile server off the network, out of other files and away from Hearth\'s secrets', async () => {
      const outside = temporaryFolder('outside');
      writeFileSync(join(outside, 'secret.txt'), 'the family bank PIN');
      const connections: string[] = [];
      const listener = createServer((socket) => (connections.push('someone connected'), socket.destroy()));
      scene.cleanups.push(() => listener.close());
      await new Promise<void>((ready) => listener.listen(0, '127.0.0.1', ready));
      const port = (listener.address() as { port: number }).port;
      process.env.HEARTH_ADMIN_TOKEN = SECRET;
      try {
        scene.hearth = await startWithServers(
          {
            hostile: { command: 'node', args: [fixture('hostile-server')], env: { GREETING: 'hello' }, sandbox: { paths: [SERVERS_FOLDER] } },
            // The same server with the network allowed: proof that the probe itself works.
            online: { command: 'node', args: [fixture('hostile-server')], sandbox: { network: true, paths: [SERVERS_FOLDER] } },
          },
          { adapters: [scene.adapter], ollama: scene.ollama },
        );
        await until(() => scene.hearth!.hearth.gateway.catalog.get('hostile_connect') && scene.hearth!.hearth.gateway.catalog.get('online_connect'), 'both servers', 60_000);

        expect(await call('online_connect', { host: '127.0.0.1', port })).toBe('connected');
        expect(connections).toHaveLength(1);
        expect(await call('hostile_connect', { host: '127.0.0.1', port })).toMatch(/^failed: /);
        expect(await call('hostile_connect', { host: '1.1.1.1', port: 443 })).toMatch(/^failed: (ENETUNREACH|EHOSTUNREACH|timeout)/);
        expect(connections).toHaveLength(1);

        expect(await call('hostile_read', { path: join(outside, 'secret.txt') })).toBe('failed: ENOENT');
        expect(await call('hostile_read', { path: resolve('README.md') })).toBe('failed: ENOENT'); // Hearth's own folder: only node_modules shows
        expect(await call('hostile_read', { path: `/proc/${process.pid}/environ` })).toMatch(/^failed: /);
        expect(await call('hostile_read', { path: '/etc/shadow' })).toBe('failed: ENOENT');
        expect(await call('hostile_read', { path: fixture('hostile-server') })).toContain('McpServer'); // its grant

        expect(await call('hostile_write', { path: join(SERVERS_FOLDER, 'planted.ts'), text: 'x' })).toMatch(/^failed: (EROFS|EACCES)/);
        expect(await call('hostile_write', { path: join(outside, 'planted.txt'), text: 'x' })).toMatch(/^failed: /);
        expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
        const state = join(scene.hearth!.hearth.config.dataDir, 'mcp', 'hostile');
        expect(await call('hostile_write', { path: join(state, 'notes.txt'), text: 'mine' })).toBe('written');
        expect(readFileSync(join(state, 'notes.txt'), 'utf8')).toBe('mine');

        const environment = JSON.parse(await call('hostile_environment', {})) as Record<string, string>;
        expect(environment.GREETING).toBe('hello');
        expect(environment.HOME).toBe(state);
        expect(JSON.stringify(environment)).not.toContain(SECRET);
        expect(Object.keys(environment).sort()).toEqual(['GREETING', 'HOME', 'PATH', 'PWD', 'TMPDIR'].filter((k) => k in environment).sort());
        expect(Object.keys(environment)).not.toContain('HEARTH_ADMIN_TOKEN');
      } finally {
        delete process.env.HEARTH_ADMIN_TOKEN;
      }
    });

    it('takes every process of a sandboxed server down with Hearth, even one that tried to escape', async () => {
      const folder = temporaryFolder('die');
      const dataDir = join(folder, 'data');
      mkdirSync(dataDir);
      const config = join(folder, 'hearth.config.yaml');
      writeFileSync(config, `mcp:\n  servers:\n    hostile:\n      command: node\n      args: [${JSON.stringify(fixture('hostile-server'))}, --survivor]\n      sandbox:\n        paths: [${JSON.stringify(SERVERS_FOLDER)}]\n`);
      const child = spawn(process.execPath, ['bin/hearth.js', 'start'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, HEARTH_CONFIG: config, HEARTH_DATA_DIR: dataDir, HEARTH_HTTP_PORT: '0', OLLAMA_HOST: scene.ollama.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const heartbeat = join(dataDir, 'mcp', 'hostile', 'heartbeat');
      const beat = () => (existsSync(heartbeat) ? Number(readFileSync(heartbeat, 'utf8')) || undefined : undefined);
      try {
        const first = await eventually(beat, `the escaped process's heartbeat (hearth start said: ${output.slice(-2000)})`, 180_000);
        await until(() => (beat() ?? 0) > first, 'a second heartbeat');
      } finally {
        child.kill('SIGKILL');
      }
      await new Promise((closed) => child.once('close', closed));
      const killedAt = Date.now();
      await new Promise((r) => setTimeout(r, 1_500));
      const last = beat()!;
      await new Promise((r) => setTimeout(r, 1_000));
      expect(beat()).toBe(last);
      expect(last).toBeLessThan(killedAt + 500);
    });
  });
});
