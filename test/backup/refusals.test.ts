/**
 * What a restore refuses, before touching anything, with a message that says what to do: a backup
 * from a newer Hearth (migrations this one does not know), a damaged file (a changed byte, caught
 * by the manifest's checksums, or a cut-off file), and a place that already holds data. And a
 * backup taken while Hearth runs on the embedded database, through its admin API.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { create, extract } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { knownMigrations, migrationsFolder, runMigrations } from '../../src/db/migrate.ts';
import { createBackup } from '../../src/backup/create.ts';
import { restoreBackup } from '../../src/backup/restore.ts';
import { createTestDatabase, drivers, type Driver, type TestDatabase } from '../helpers/databases.ts';
import { startHearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { runHearth } from '../helpers/run-hearth.ts';

/** The embedded database takes seconds to open, minutes on a loaded 2-core machine. */
const slow = { timeoutMs: 240_000 };

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
}, 180_000);

const configFor = (database: TestDatabase) => loadConfig({ file: false, env: {}, overrides: { dataDir: database.dataDir, databaseUrl: database.databaseUrl } });

async function testDatabase(driver: Driver): Promise<TestDatabase> {
  const database = await createTestDatabase(driver);
  cleanup.push(() => database.drop());
  return database;
}

async function open(database: TestDatabase): Promise<Database> {
  return openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
}

/** A backup of a small household database on PGlite. */
async function someBackup(): Promise<string> {
  const source = await testDatabase('pglite');
  const db = await open(source);
  await runMigrations(db);
  await db.rows(sql`insert into people (id, display_name, role) values ('p-olive', 'Olive', 'owner')`);
  const file = join(mkdtempSync(join(tmpdir(), 'hearth-refuse-')), 'backup.tar.gz');
  await createBackup(db, configFor(source), file);
  await db.close();
  return file;
}

const restoreInto = (target: TestDatabase, file: string) => restoreBackup({ file, configPath: join(target.dataDir, 'none.yaml'), loadConfig: () => configFor(target) });

const env = (target: TestDatabase) => ({ HEARTH_CONFIG: '/dev/null', HEARTH_ENV_FILE: '/nonexistent/.env', HEARTH_DATA_DIR: target.dataDir, ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}) });

describe('restore refuses', () => {
  it('a backup made by a newer Hearth, naming the version to install, and leaves the place empty', { timeout: 420_000 }, async () => {
    // A newer Hearth: this release's migrations plus one it does not know.
    const newer = mkdtempSync(join(tmpdir(), 'hearth-newer-migrations-'));
    cpSync(migrationsFolder, newer, { recursive: true });
    const journal = JSON.parse(readFileSync(join(newer, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ idx: number; when: number; tag: string; version: string; breakpoints: boolean }> };
    journal.entries.push({ idx: journal.entries.length, version: '7', when: journal.entries.at(-1)!.when + 86_400_000, tag: '9999_garden_planner', breakpoints: true });
    writeFileSync(join(newer, 'meta/_journal.json'), JSON.stringify(journal));
    writeFileSync(join(newer, '9999_garden_planner.sql'), 'create table garden_beds (id bigserial primary key, text text not null);');
    const source = await testDatabase('pglite');
    const db = await open(source);
    await runMigrations(db);
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(db.db as never, { migrationsFolder: newer });
    const file = join(mkdtempSync(join(tmpdir(), 'hearth-refuse-')), 'from-the-future.tar.gz');
    await createBackup(db, configFor(source), file);
    await db.close();

    const target = await testDatabase('pglite');
    const run = await runHearth(['restore', file], env(target), slow);
    expect(run.code).toBe(1);
    const known = knownMigrations().length;
    expect(run.stderr).toMatch(new RegExp(`was made by a newer Hearth \\(version 0\\.1\\.0, schema unknown migration of .*, ${known + 1} migrations\\); this Hearth \\(version 0\\.1\\.0\\) knows ${known} migrations\\. Nothing was restored\\. Fix: install Hearth 0\\.1\\.0 or newer and restore with it`));
    expect(existsSync(join(target.dataDir, 'pglite'))).toBe(false);
  });

  it('a file whose content no longer matches its checksum, naming the part', { timeout: 420_000 }, async () => {
    const file = await someBackup();
    const unpacked = mkdtempSync(join(tmpdir(), 'hearth-tamper-'));
    await extract({ file, cwd: unpacked });
    const people = join(unpacked, 'database/people.jsonl');
    writeFileSync(people, readFileSync(people, 'utf8').replace('"owner"', '"guest"'));
    const tampered = join(unpacked, '..', `tampered-${Date.now()}.tar.gz`);
    await create({ gzip: true, cwd: unpacked, file: tampered }, readdirSync(unpacked));

    const target = await testDatabase('pglite');
    const run = await runHearth(['restore', tampered], env(target), slow);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/tampered-\d+\.tar\.gz is damaged: database\/people\.jsonl does not match its checksum\. Nothing was restored\. Fix: use another copy of the backup/);
    expect(existsSync(join(target.dataDir, 'pglite'))).toBe(false);
  });

  it('a cut-off file', { timeout: 420_000 }, async () => {
    const file = await someBackup();
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const target = await testDatabase('pglite');
    await expect(restoreInto(target, file)).rejects.toThrow(/backup\.tar\.gz is damaged or is not a Hearth backup \(.*\)\. Fix: use another copy of the backup/);
    expect(existsSync(join(target.dataDir, 'pglite'))).toBe(false);
  });

  it('a file that is not a Hearth backup', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hearth-refuse-')), 'notes.txt');
    writeFileSync(file, 'shopping list');
    await expect(restoreInto(await testDatabase('pglite'), file)).rejects.toThrow(/notes\.txt is damaged or is not a Hearth backup/);
  });

  it.each(drivers)('a %s database that already holds data, and leaves it as it was', { timeout: 420_000 }, async (driver) => {
    const file = await someBackup();
    const target = await testDatabase(driver);
    const db = await open(target);
    await runMigrations(db);
    await db.rows(sql`insert into people (id, display_name, role) values ('p-zed', 'Zed', 'owner')`);
    await db.close();
    await expect(restoreInto(target, file)).rejects.toThrow(driver === 'pglite' ? /already holds a Hearth database\. Restore only goes into an empty place.*Fix: stop Hearth and move that folder away/ : /already holds Hearth data \(\d+ tables\)\. Restore only goes into an empty place.*Fix: create a new, empty database/);
    const after = await open(target);
    expect(await after.rows(sql`select id from people`)).toEqual([{ id: 'p-zed' }]);
    await after.close();
  });
});

describe('backup while Hearth runs on the embedded database', () => {
  it('is taken by the running Hearth through its admin API and restores', { timeout: 420_000 }, async () => {
    const source = await testDatabase('pglite');
    const token = 'a'.repeat(32);
    const h = await startHearth({ adapters: [createTestAdapter()], owner: 'test:owner-1', dataDir: source.dataDir, config: { access: { adminToken: token } } });
    cleanup.push(() => h.stop());
    const server = serve({ fetch: h.hearth.http.fetch, port: 0, hostname: '127.0.0.1' });
    cleanup.push(() => new Promise((done) => server.close(done)));
    await new Promise((done) => (server.listening ? done(undefined) : server.once('listening', done)));
    const port = (server.address() as { port: number }).port;
    const file = join(mkdtempSync(join(tmpdir(), 'hearth-live-')), 'live.tar.gz');

    const refused = await runHearth(['backup', file], { ...env(source), HEARTH_HTTP_PORT: String(port) }, slow);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is in use by another Hearth process .*Fix: set HEARTH_ADMIN_TOKEN .* so it can take the backup while it runs, or stop Hearth/);

    const run = await runHearth(['backup', file], { ...env(source), HEARTH_HTTP_PORT: String(port), HEARTH_ADMIN_TOKEN: token }, slow);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`Backup written: ${file}`);
    expect(run.stdout).toContain(`taken by the running Hearth at http://127.0.0.1:${port}`);
    expect(run.stdout).toMatch(/1 person, /);
    expect(readdirSync(join(source.dataDir, 'backups'))).toEqual([]); // the server kept no copy
    expect((await h.audit()).some((a) => a.kind === 'admin.call' && a.subject === '/admin/backup')).toBe(true);

    const target = await testDatabase('postgres');
    const result = await restoreInto(target, file);
    expect(result.audit.ok).toBe(true);
    expect(result.manifest.tables.people).toBe(1);
  });
});
