/**
 * What `hearth setup` writes keeps what was there: the config file's comments (including the
 * commented-out examples in an empty section) and other keys, .env's other lines, and .env
 * owner-only even when it was readable by others before. Writing the same values again changes
 * nothing.
 */
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readEnvFile, updateConfigFile, updateEnvFile } from '../../src/cli/setup/files.ts';

const folder = () => mkdtempSync(join(tmpdir(), 'hearth-files-'));

describe('setup files', () => {
  it('edit hearth.config.yaml in place: comments, other keys and commented-out examples stay', () => {
    const file = join(folder(), 'hearth.config.yaml');
    copyFileSync('hearth.config.example.yaml', file);
    const before = readFileSync(file, 'utf8');
    expect(updateConfigFile(file, { 'ollama.model': 'qwen2.5:1.5b', 'matrix.userId': '@hearth:example.org', owner: 'telegram:1001' })).toBe(true);
    const after = readFileSync(file, 'utf8');
    // Every comment is still there (the space before an end-of-line comment may shrink).
    const comments = (text: string) => (text.match(/#.*$/gm) ?? []).map((c) => c.replace(/\s+/g, ' '));
    expect(comments(after)).toEqual(expect.arrayContaining(comments(before)));
    expect(after).toMatch(/matrix:\n  # homeserverUrl: https:\/\/matrix\.example\.org.*\n.*\n  userId: "@hearth:example\.org"/);
    expect(parse(after)).toMatchObject({ owner: 'telegram:1001', ollama: { model: 'qwen2.5:1.5b', embedModel: 'nomic-embed-text' }, matrix: { userId: '@hearth:example.org' }, agent: { name: 'Hearth' } });
    expect(updateConfigFile(file, { 'ollama.model': 'qwen2.5:1.5b' })).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(after);
  });

  it('edit .env in place, quote what needs it, and make it owner-only', () => {
    const file = join(folder(), '.env');
    writeFileSync(file, '# tokens\nexport OTHER=1 # mine\nTELEGRAM_BOT_TOKEN=\nDISCORD_BOT_TOKEN=old\n', { mode: 0o644 });
    updateEnvFile(file, { TELEGRAM_BOT_TOKEN: '123:abc', DISCORD_BOT_TOKEN: 'new', HEARTH_ADMIN_TOKEN: 'has "quotes" and spaces' });
    expect(readFileSync(file, 'utf8')).toBe('# tokens\nexport OTHER=1 # mine\nTELEGRAM_BOT_TOKEN=123:abc\nDISCORD_BOT_TOKEN=new\nHEARTH_ADMIN_TOKEN=\'has "quotes" and spaces\'\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readEnvFile(file)).toMatchObject({ OTHER: '1', TELEGRAM_BOT_TOKEN: '123:abc', HEARTH_ADMIN_TOKEN: 'has "quotes" and spaces' });
    // Node reads it back the same way Hearth will at start (process.loadEnvFile).
    expect(parseEnv(readFileSync(file, 'utf8'))).toMatchObject({ TELEGRAM_BOT_TOKEN: '123:abc', HEARTH_ADMIN_TOKEN: 'has "quotes" and spaces' });
    expect(updateEnvFile(file, { TELEGRAM_BOT_TOKEN: '123:abc' })).toBe(false);
  });
});
