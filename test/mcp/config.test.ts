/**
 * MCP servers as the owner writes them: a README's `{"mcpServers": …}` snippet works as it is,
 * in hearth.config.yaml or in the file HEARTH_MCP_CONFIG names; Hearth's own keys have defaults;
 * a mistake is reported by its full key with the fix, without hiding other problems. And the
 * pure pieces the model sees: tool names and results.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProblems } from '../helpers/config-files.ts';
import { loadConfig } from '../../src/config/load.ts';
import { toolName } from '../../src/mcp/tool-adapter.ts';
import { resultText } from '../../src/mcp/results.ts';

const folder = mkdtempSync(join(tmpdir(), 'hearth-mcp-config-'));
const write = (name: string, text: string) => {
  const file = join(folder, name);
  writeFileSync(file, text);
  return file;
};

describe('MCP server configuration', () => {
  it('takes a README snippet in the YAML file and in the JSON file HEARTH_MCP_CONFIG names, with Hearth\'s defaults', () => {
    const yaml = write(
      'servers.yaml',
      `mcp:
  maxOutputChars: 2000
  servers:
    files:
      command: npx
      args: ["-y", "@modelcontextprotocol/server-filesystem", "/srv/shared"]
      risk: read
      sandbox:
        paths: [{ path: /srv/shared, write: true }, /srv/photos]
      tools:
        write_file: write
        move_file: off
        read_file: { defaultDecision: { guest: deny } }
`,
    );
    const json = write('mcp.json', JSON.stringify({ mcpServers: { github: { url: 'https://api.example.org/mcp', headers: { Authorization: 'Bearer ${GITHUB_TOKEN}' } }, legacy: { command: 'node', args: ['server.js'], env: { API_KEY: '${KEY}' }, disabled: true } } }));
    const config = loadConfig({ file: yaml, env: { HEARTH_MCP_CONFIG: json } });

    expect(config.mcp.maxOutputChars).toBe(2000);
    expect(config.mcp.timeoutMs).toBe(60_000);
    expect(config.mcp.servers.files).toMatchObject({
      transport: 'stdio',
      command: 'npx',
      risk: 'read',
      enabled: true,
      sandbox: { network: false, paths: [{ path: '/srv/shared', write: true }, { path: '/srv/photos', write: false }], memoryMb: 1024 },
      tools: { write_file: { off: false, risk: 'write' }, move_file: { off: true }, read_file: { off: false, defaultDecision: { guest: 'deny' } } },
    });
    // An HTTP server keeps its header as written: the variable is read when the server is dialled.
    expect(config.mcp.servers.github).toMatchObject({ transport: 'http', risk: 'external', headers: { Authorization: 'Bearer ${GITHUB_TOKEN}' } });
    expect(config.mcp.servers.legacy).toMatchObject({ transport: 'stdio', enabled: false, sandbox: { network: false } });
  });

  it('names the key and the fix for each mistake, all at once, and still catches unknown keys elsewhere', () => {
    const yaml = write(
      'broken.yaml',
      `mcp:
  servers:
    files:
      comand: npx
    web:
      url: ftp://example.org
      sandbox: { network: true }
    home:
      command: node
      sandbox: { netwrk: true }
      tools: { lights: maybe }
    "bad name!":
      command: node
memroy:
  recallLimit: 3
`,
    );
    const problems = configProblems(() => loadConfig({ file: yaml, env: {} }));
    const text = problems.join('\n');
    expect(text).toContain('unknown key "mcp.servers.files.comand"');
    expect(text).toMatch(/"mcp\.servers\.files" needs "command" \(a program Hearth starts, e\.g\. npx\) or "url"/);
    expect(text).toMatch(/"mcp\.servers\.web\.url" expected an http:\/\/ or https:\/\/ URL/);
    expect(text).toMatch(/"mcp\.servers\.web" "sandbox" applies to servers Hearth starts/);
    expect(text).toContain('unknown key "mcp.servers.home.sandbox.netwrk"');
    expect(text).toMatch(/"mcp\.servers\.home\.tools\.lights" expected off, read, write, external/);
    expect(text).toMatch(/"mcp\.servers\.bad name!" is not a valid name: a server name may use only letters/);
    expect(text).toContain('unknown key "memroy.recallLimit"');
    for (const problem of problems.filter((p) => p.includes('mcp.servers'))) expect(problem).toMatch(/Fix: /);
  });

  it('refuses a server defined twice and a JSON file that is not the usual shape, saying how to fix it', () => {
    const yaml = write('one.yaml', 'mcp:\n  servers:\n    files: { command: node }\n');
    const twice = write('twice.json', JSON.stringify({ mcpServers: { files: { command: 'node' } } }));
    expect(configProblems(() => loadConfig({ file: yaml, env: { HEARTH_MCP_CONFIG: twice } })).join('\n')).toMatch(/"files" is defined both in .*one\.yaml and in .*twice\.json\. Fix: keep it in one of them/);
    const shapeless = write('shapeless.json', JSON.stringify({ servers: {} }));
    expect(configProblems(() => loadConfig({ file: false, env: { HEARTH_MCP_CONFIG: shapeless } })).join('\n')).toMatch(/has no "mcpServers" object\. Fix: write it as \{"mcpServers"/);
    expect(configProblems(() => loadConfig({ file: false, env: { HEARTH_MCP_CONFIG: join(folder, 'missing.json') } })).join('\n')).toMatch(/cannot be read \(ENOENT\)\. Fix: create it/);
    const typo = write('typo.json', JSON.stringify({ mcpServers: { web: { url: 'https://example.org/mcp', header: {} } } }));
    expect(configProblems(() => loadConfig({ file: false, env: { HEARTH_MCP_CONFIG: typo } })).join('\n')).toContain(`${typo}: unknown key "mcpServers.web.header"`);
  });
});

describe('what the model sees of MCP tools', () => {
  it('names tools <server>_<tool> in A-Z, a-z, 0-9, _ and -, at most 64 characters, never twice', () => {
    const used = new Set<string>();
    expect(toolName('files', 'read_file', used)).toBe('files_read_file');
    expect(toolName('home', 'lights.on/off', used)).toBe('home_lights_on_off');
    const long = toolName('a-server', 'x'.repeat(100), used);
    expect(long).toMatch(/^a-server_x+_[0-9a-f]{8}$/);
    expect(long.length).toBe(64);
    used.add('home_lights_on_off');
    const second = toolName('home', 'lights:on/off', used);
    expect(second).not.toBe('home_lights_on_off');
    expect(second).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('passes text on, describes other content, and cuts long output with a note', () => {
    const text = resultText({ content: [{ type: 'text', text: 'Here it is:' }, { type: 'image', data: 'aGVsbG8gd29ybGQ=', mimeType: 'image/png' }, { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt' }] }, 1000);
    expect(text).toBe('Here it is:\n[image, image/png, 12 bytes: not shown]\n[link: a.txt file:///a.txt]');
    const cut = resultText({ content: [{ type: 'text', text: 'x'.repeat(5000) }] }, 300);
    expect(cut).toBe(`${'x'.repeat(300)}\n[Output cut: showing 300 of 5000 characters.]`);
    expect(() => resultText({ content: [{ type: 'text', text: 'no such file' }], isError: true }, 300)).toThrow('no such file');
    expect(resultText({ content: [], structuredContent: { temperature: 21 } }, 300)).toBe('{"temperature":21}');
  });
});
