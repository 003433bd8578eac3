/**
 * The automatic backup before migrations, on both drivers: a database one migration behind (as
 * after installing a new Hearth) is backed up before anything changes, the log says where, the
 * backup restores that older schema, only the newest N are kept, and when the backup cannot be
 * written nothing is migrated.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { knownMigrations, migrationStatus, runMigrations } from '../../src/db/migrate.ts';
import { readManifest } from '../../src/backup/archive.ts';
import { createTestDatabase, drivers, type TestDatabase } from '../helpers/databases.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';

describe.each(drivers)('automatic backup before migrations on %s', (driver) => {
  let database: TestDatabase;
  let backups: string;
  let hearth: Hearth | undefined;
  const pending = 1;

  /** A database as the previous release left it: one migration behind, with a person in it. */
  async function olderDatabase(): Promise<void> {
    const db = await openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, emptyWhenNew: true });
    await runMigrations(db, { upTo: knownMigrations().length - pending });
    await db.rows(sql`insert into people (id, display_name, role) values ('p-olive', 'Olive', 'owner')`);
    await db.close();
  }

  const start = (backup: Record<string, unknown>) =>
    startHearth({ adapters: [createTestAdapter()], owner: 'test:owner-1', dataDir: database.driver === 'pglite' ? database.dataDir : undefined, databaseUrl: database.databaseUrl, config: { backup: { dir: backups, ...backup } } });

  const schemaAt = async () => {
    const db = await openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    try {
      return (await migrationStatus(db)).applied;
    } finally {
      await db.close();
    }
  };

  beforeEach(async () => {
    database = await createTestDatabase(driver);
    backups = mkdtempSync(join(tmpdir(), 'hearth-auto-backups-'));
    await olderDatabase();
  }, 180_000);
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await database.drop();
  }, 180_000);

  it('backs up before migrating, says where in the log, and keeps only the newest N', { timeout: 300_000 }, async () => {
    // Two automatic backups from earlier upgrades, and one the owner made by hand.
    writeFileSync(join(backups, 'hearth-before-upgrade-2025-01-01T00-00-00.000Z.tar.gz'), 'old');
    writeFileSync(join(backups, 'hearth-before-upgrade-2025-06-01T00-00-00.000Z.tar.gz'), 'newer');
    writeFileSync(join(backups, 'hearth-backup-2024-01-01T00-00-00.000Z.tar.gz'), 'by hand');

    hearth = await start({ keepBeforeMigration: 2 });
    const line = hearth.logs.map((l) => JSON.parse(l) as { msg: string; backup?: string }).find((l) => l.msg.startsWith('backed up the database before applying'));
    expect(line?.msg).toMatch(new RegExp(`^backed up the database before applying ${pending} migration\\(s\\): ${backups}/hearth-before-upgrade-.*\\.tar\\.gz \\(restore it with \`hearth restore`));
    const files = readdirSync(backups).sort();
    expect(files).toEqual(['hearth-backup-2024-01-01T00-00-00.000Z.tar.gz', 'hearth-before-upgrade-2025-06-01T00-00-00.000Z.tar.gz', line!.backup!.split('/').at(-1)]);

    // The backup holds the database as it was before the upgrade.
    const manifest = await readManifest(line!.backup!);
    expect(manifest.schema.migrations).toHaveLength(knownMigrations().length - pending);
    expect(manifest.tables.people).toBe(1);
    expect((await hearth.hearth.database.rows<{ id: string }>(sql`select id from people where id = 'p-olive'`)).length).toBe(1);
  });

  it('migrates nothing when the backup cannot be written, and says how to go on', { timeout: 300_000 }, async () => {
    const blocked = join(backups, 'not-a-folder');
    writeFileSync(blocked, 'a file where the backup folder should be');
    await expect(start({ dir: blocked })).rejects.toThrow(/could not back up the database before applying 1 migration\(s\) .*Nothing was changed\. Fix: make room or make .*not-a-folder writable .*HEARTH_BACKUP_KEEP_BEFORE_MIGRATION=0/);
    expect(await schemaAt()).toBe(knownMigrations().length - pending);
  });

  it('migrates without a backup, saying so, when switched off', { timeout: 300_000 }, async () => {
    hearth = await start({ keepBeforeMigration: 0 });
    expect(hearth.logs.join('\n')).toContain('applying 1 database migration(s) without a backup first (HEARTH_BACKUP_KEEP_BEFORE_MIGRATION=0)');
    expect(readdirSync(backups)).toEqual([]);
    expect(await migrationStatus(hearth.hearth.database)).toMatchObject({ applied: knownMigrations().length });
  });

  it('takes no backup of a new, empty database', { timeout: 300_000 }, async () => {
    await database.drop();
    database = await createTestDatabase(driver);
    mkdirSync(backups, { recursive: true });
    hearth = await start({});
    expect(readdirSync(backups)).toEqual([]);
  });
});
