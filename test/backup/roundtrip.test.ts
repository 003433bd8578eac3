/**
 * Backup → wipe → restore through the real `hearth` command, on each driver and across the two
 * (PGlite → PostgreSQL when a household outgrows the embedded database, and back): every row,
 * sequence and audit hash comes back, the data-folder files and the config file travel with it,
 * and a Hearth started on the restored data recalls the memories and keeps answering.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type Driver, type TestDatabase } from '../helpers/databases.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { runHearth } from '../helpers/run-hearth.ts';

/** The embedded database takes seconds to open, minutes on a loaded 2-core machine. */
const slow = { timeoutMs: 240_000 };
import { fillHousehold, OWNER, olive, dm, picture } from './household.ts';

const pairs: Array<[Driver, Driver]> = [
  ['pglite', 'pglite'],
  ['postgres', 'postgres'],
  ['pglite', 'postgres'],
  ['postgres', 'pglite'],
];

function cliEnv(database: TestDatabase, configFile: string, ollama: FakeOllama): Record<string, string> {
  return {
    HEARTH_CONFIG: configFile,
    HEARTH_ENV_FILE: '/nonexistent/.env',
    HEARTH_DATA_DIR: database.dataDir,
    OLLAMA_HOST: ollama.url,
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
  };
}

describe.each(pairs)('backup on %s, restore on %s', (from, to) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  }, 180_000);

  it('brings back every row, sequence, audit record, data-folder file and the config file', { timeout: 420_000 }, async () => {
    const ollama = await startFakeOllama();
    cleanup.push(() => ollama.close());
    const source = await createTestDatabase(from);
    cleanup.push(() => source.drop());
    const work = mkdtempSync(join(tmpdir(), 'hearth-backup-'));
    const oldConfig = join(work, 'old', 'hearth.config.yaml');
    mkdirSync(join(work, 'old'));
    writeFileSync(oldConfig, '# my household\nagent:\n  name: Hestia   # our name for it\n');
    // A key file another feature keeps in the data folder (e.g. the secret key), private to its owner.
    mkdirSync(join(source.dataDir, 'matrix'), { recursive: true });
    writeFileSync(join(source.dataDir, 'secret.key'), 'k'.repeat(64), { mode: 0o600 });
    writeFileSync(join(source.dataDir, 'matrix', 'crypto.json'), '{"device":"HEARTHDEV"}');

    const adapter = createTestAdapter();
    let hearth: Hearth = await startHearth({ adapters: [adapter], owner: OWNER, dataDir: from === 'pglite' ? source.dataDir : undefined, databaseUrl: source.databaseUrl, ollama, config: { agent: { streaming: false } } });
    await fillHousehold(hearth, adapter);
    const before = await picture(hearth.hearth.database);
    await hearth.stop();
    expect(before.tables.memories).toHaveLength(2);
    expect(before.auditRecords).toBeGreaterThan(3);

    const file = join(work, 'household.tar.gz');
    const backup = await runHearth(['backup', file], cliEnv(source, oldConfig, ollama), slow);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(/Backup written: .*household\.tar\.gz/);
    expect(backup.stdout).toMatch(/2 people, 2 memories, \d+ messages, \d+ audit records, 2 file\(s\) from the data folder/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await source.drop(); // the old machine is gone

    const target = await createTestDatabase(to);
    cleanup.push(() => target.drop());
    const newConfig = join(work, 'new', 'hearth.config.yaml');
    mkdirSync(join(work, 'new'));
    const restore = await runHearth(['restore', file], cliEnv(target, newConfig, ollama), slow);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(new RegExp(`into ${to}`));
    expect(restore.stdout).toMatch(/✓ audit chain intact/);
    expect(restore.stdout).toContain(`configuration file written to ${newConfig}`);
    expect(restore.stdout).toMatch(/Not in any backup: \.env/);
    expect(readFileSync(newConfig, 'utf8')).toBe(readFileSync(oldConfig, 'utf8'));
    expect(readFileSync(join(target.dataDir, 'secret.key'), 'utf8')).toBe('k'.repeat(64));
    expect(statSync(join(target.dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(target.dataDir, 'matrix', 'crypto.json'), 'utf8')).toContain('HEARTHDEV');

    const restoredAdapter = createTestAdapter();
    hearth = await startHearth({ adapters: [restoredAdapter], owner: OWNER, dataDir: to === 'pglite' ? target.dataDir : undefined, databaseUrl: target.databaseUrl, ollama, config: { agent: { streaming: false } } });
    cleanup.push(() => hearth.stop());
    expect(await picture(hearth.hearth.database)).toEqual(before);

    // The restored Hearth recalls both memories and keeps numbering where the old one stopped.
    await restoredAdapter.inject({ sender: olive, conversation: dm('dm-olive'), text: 'Any peanuts in the recycling on Tuesday?', eventId: `after-restore-${Date.now()}` });
    await hearth.idle();
    const prompt = ollama.chatRequests.filter((r) => r.stream !== false).at(-1)!.messages.map((m) => m.content).join('\n');
    expect(prompt).toContain('Olive is allergic to peanuts');
    expect(prompt).toContain('The recycling goes out on Tuesday evenings');
    const after = await picture(hearth.hearth.database);
    expect(after.tables.messages!.length).toBe(before.tables.messages!.length + 2);
    expect(after.auditRecords).toBeGreaterThanOrEqual(before.auditRecords);
  });
});

