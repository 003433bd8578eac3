/**
 * Configuration that survives upgrades: a file written for an older Hearth still loads (moved
 * keys with a warning naming `hearth config migrate`), the migration rewrites it keeping every
 * comment and the order, renamed environment variables still work with a warning naming the new
 * one, and an unknown key is an error that suggests the key that was meant.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFile, configProblems } from '../helpers/config-files.ts';
import { readConfig } from '../../src/config/load.ts';
import { settings } from '../../src/config/settings.ts';
import { unknownKeys } from '../../src/config/unknown-keys.ts';
import { migrateConfigText } from '../../src/config/migrate-file.ts';
import { runHearth } from '../helpers/run-hearth.ts';

/** The embedded database takes seconds to open, minutes on a loaded 2-core machine. */
const slow = { timeoutMs: 240_000 };
import { parse } from 'yaml';

const OLD_FILE = `# Our Hearth, set up in 2025.

owner: "telegram:123456789"   # me

ollama:
  model: qwen2.5:3b   # small box
  # the embedder is slow on this machine
  embedModel: nomic-embed-text

memory:
  # give the embedder time: the box is slow
  embedTimeoutMs: 45000   # was 15000
  recallLimit: 5

discord:
  # apiBase: https://discord.com/api
`;

const comments = (text: string) => text.split('\n').flatMap((line) => (line.includes('#') ? [line.slice(line.indexOf('#')).trim()] : []));

describe('config file from an older Hearth', () => {
  it('still loads, with a warning at start naming `hearth config migrate`', () => {
    const { config, warnings } = readConfig({ file: configFile(OLD_FILE), env: {} });
    expect(config.ollama.embedTimeoutMs).toBe(45_000);
    expect(config.memory.recallLimit).toBe(5);
    expect(warnings).toEqual([expect.stringMatching(/"memory\.embedTimeoutMs" is now "ollama\.embedTimeoutMs"; the old name still works\. Fix: run `hearth config migrate`/)]);
  });

  it('is migrated in place by `hearth config migrate`, keeping comments and order; afterwards no warning', { timeout: 420_000 }, async () => {
    const path = configFile(OLD_FILE);
    const run = await runHearth(['config', 'migrate'], { HEARTH_CONFIG: path, HEARTH_ENV_FILE: '/nonexistent/.env' }, slow);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`Updated ${path} to version 2:`);
    expect(run.stdout).toContain('moved "memory.embedTimeoutMs" to "ollama.embedTimeoutMs"');
    const migrated = readFileSync(path, 'utf8');
    expect(readFileSync(`${path}.before-migrate`, 'utf8')).toBe(OLD_FILE);
    // Every comment survives, in the same order; the one above the moved key moved with it.
    expect(comments(migrated)).toEqual([
      '# Our Hearth, set up in 2025.',
      expect.stringMatching(/^# the format of this file/),
      '# me',
      '# small box',
      '# the embedder is slow on this machine',
      '# give the embedder time: the box is slow',
      '# was 15000',
      '# apiBase: https://discord.com/api',
    ]);
    expect(migrated).toMatch(/^# Our Hearth, set up in 2025\.\n\nversion: 2 # the format of this file/);
    expect(migrated).toMatch(/ollama:\n  model: qwen2\.5:3b # small box\n  # the embedder is slow on this machine\n  embedModel: nomic-embed-text\n  # give the embedder time: the box is slow\n  embedTimeoutMs: 45000 # was 15000\n/);
    expect(migrated).toMatch(/memory:\n  recallLimit: 5\n/);
    expect(migrated).toMatch(/discord:\n  # apiBase: https:\/\/discord\.com\/api\n/);
    const { config, warnings } = readConfig({ file: path, env: {} });
    expect(warnings).toEqual([]);
    expect(config.ollama.embedTimeoutMs).toBe(45_000);

    const again = await runHearth(['config', 'migrate'], { HEARTH_CONFIG: path, HEARTH_ENV_FILE: '/nonexistent/.env' }, slow);
    expect(again.stdout).toContain('is up to date (version 2)');
  });

  it('shows the warning on every command until migrated', { timeout: 420_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-config-data-'));
    const run = await runHearth(['migrate'], { HEARTH_CONFIG: configFile(OLD_FILE), HEARTH_ENV_FILE: '/nonexistent/.env', HEARTH_DATA_DIR: dataDir }, slow);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: .*"memory\.embedTimeoutMs" is now "ollama\.embedTimeoutMs".*hearth config migrate/m);
  });

  it('keeps the newer key when both names are present, and says it dropped the old one', () => {
    const { text, changes } = migrateConfigText('version: 1\nmemory:\n  embedTimeoutMs: 1000\nollama:\n  embedTimeoutMs: 2000\n');
    expect(changes).toEqual(['removed "memory.embedTimeoutMs": "ollama.embedTimeoutMs" is already set, and wins', 'set "version" to 2 (was 1)']);
    expect(text).toBe('version: 2\nollama:\n  embedTimeoutMs: 2000\n');
  });

  it('refuses a version that is not a number and warns about a newer one', () => {
    expect(configProblems(() => readConfig({ file: configFile('version: two\n'), env: {} }))[0]).toMatch(/"version" = "two": expected a whole number\. Fix: set it to 2/);
    expect(readConfig({ file: configFile('version: 9\n'), env: {} }).warnings[0]).toMatch(/version 9, written for a newer Hearth \(this one reads version 2\)/);
  });
});

describe('renamed environment variables', () => {
  it('still work, with a warning naming the new one', () => {
    const { config, warnings } = readConfig({ file: false, env: { HEARTH_HISTORY_TOKENS: '900' } });
    expect(config.memory.historyTokens).toBe(900);
    expect(warnings).toEqual(['HEARTH_HISTORY_TOKENS is deprecated: rename it to HEARTH_MEMORY_HISTORY_TOKENS (in .env or your environment); it still works for now.']);
  });

  it('give way to the new name when both are set', () => {
    const { config, warnings } = readConfig({ file: false, env: { HEARTH_HISTORY_TOKENS: '900', HEARTH_MEMORY_HISTORY_TOKENS: '1200' } });
    expect(config.memory.historyTokens).toBe(1200);
    expect(warnings[0]).toMatch(/HEARTH_HISTORY_TOKENS is deprecated and ignored because HEARTH_MEMORY_HISTORY_TOKENS is set/);
  });

  it('name the value\'s source in errors', () => {
    expect(configProblems(() => readConfig({ file: false, env: { HEARTH_HISTORY_TOKENS: 'lots' } }))[0]).toMatch(/HEARTH_MEMORY_HISTORY_TOKENS \(memory\.historyTokens, from environment \(HEARTH_HISTORY_TOKENS\)\) = "lots"/);
  });
});

describe('unknown keys', () => {
  it.each([
    ['olama:\n  host: http://127.0.0.1:11434\n', 'olama.host', 'ollama.host'],
    ['http:\n  prot: 8080\n', 'http.prot', 'http.port'],
    ['ollama:\n  embedmodel: x\n', 'ollama.embedmodel', 'ollama.embedModel'],
    ['OLLAMA_MODEL: llama3.2:3b\n', 'OLLAMA_MODEL', 'ollama.model'],
    ['agent:\n  model: llama3.2:3b\n', 'agent.model', 'ollama.model'],
  ])('%j is an error that suggests the closest known key', (yaml, key, meant) => {
    expect(configProblems(() => readConfig({ file: configFile(yaml), env: {} }))).toEqual([expect.stringContaining(`unknown key "${key}". Did you mean "${meant}"? Fix: rename it to "${meant}"`)]);
  });

  it('suggests nothing when nothing is close', () => {
    expect(configProblems(() => readConfig({ file: configFile('weather:\n  city: Oslo\n'), env: {} }))[0]).toMatch(/unknown key "weather\.city"\. Fix: remove it/);
  });

  it('treats a structured section as one value: keys inside it are not settings', () => {
    const tree = { mcp: { servers: { github: { command: 'npx', args: ['x'] } }, serverz: 1 }, ollama: { host: 'x' } };
    expect(unknownKeys(tree, settings, ['mcp.servers'])).toEqual(['mcp.serverz']);
    expect(unknownKeys(tree, settings, [])).toEqual(['mcp.servers.github.command', 'mcp.servers.github.args', 'mcp.serverz']);
  });

  it('migration keeps a structured section whole, with its comments', () => {
    const text = 'mcp:\n  servers:\n    github:   # the GitHub server\n      command: npx\n      args: [-y, server]\n';
    const { text: migrated } = migrateConfigText(text);
    expect(parse(migrated)).toEqual({ version: 2, ...parse(text) });
    expect(comments(migrated)).toContain('# the GitHub server');
  });
});
