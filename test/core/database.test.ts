import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { knownMigrations, migrationStatus, runMigrations, SchemaTooNewError } from '../../src/db/migrate.ts';
import { AuditLog } from '../../src/audit/audit.ts';
import { DataFolderInUseError } from '../../src/db/data-lock.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';

/** The database's own words: drizzle wraps driver errors, the reason is in the cause. */
async function failureText(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return `${(error as Error).message} ${((error as Error).cause as Error | undefined)?.message ?? ''}`;
  }
  return 'it did not fail';
}

describeEachDriver('database on %s', (driver) => {
  let test: TestDatabase;
  let database: Database;

  beforeEach(async () => {
    test = await createTestDatabase(driver);
    // Empty, so the migrations themselves are what is tested (a new PGlite folder starts from the template).
    database = await openDatabase({ databaseUrl: test.databaseUrl, dataDir: test.dataDir, emptyWhenNew: true });
  });
  afterEach(async () => {
    await database.close();
    await test.drop();
  });

  it('migrates a fresh database with pgvector, and a second run changes nothing', async () => {
    expect((await runMigrations(database)).applied).toBe(knownMigrations().length);
    expect((await runMigrations(database)).applied).toBe(0);
    const [vector] = await database.rows<{ v: string }>(sql`select '[1,2,3]'::vector <=> '[1,2,4]'::vector as v`);
    expect(Number(vector!.v)).toBeGreaterThan(0);
    expect(await migrationStatus(database)).toEqual({ applied: knownMigrations().length, known: knownMigrations().length, unknownApplied: 0 });
  });

  it('refuses to run against a schema a newer Hearth migrated', async () => {
    await runMigrations(database);
    await database.rows(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-the-future', ${Date.now() + 10 ** 10})`);
    await expect(runMigrations(database)).rejects.toThrow(SchemaTooNewError);
    await expect(runMigrations(database)).rejects.toThrow(/newer Hearth.*Fix: upgrade Hearth/);
  });

  it('keeps audit records append-only', async () => {
    await runMigrations(database);
    const audit = new AuditLog(database.db);
    await audit.record({ kind: 'test.event', subject: 'one' });
    await audit.record({ kind: 'test.event', subject: 'two' });
    await expect(failureText(database.rows(sql`update audit_events set subject = 'edited'`))).resolves.toMatch(/audit_events is append-only \(UPDATE refused\)/);
    await expect(failureText(database.rows(sql`delete from audit_events`))).resolves.toMatch(/audit_events is append-only \(DELETE refused\)/);
    const rows = await database.rows<{ prev_hash: string; hash: string }>(sql`select prev_hash, hash from audit_events order by id`);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);
  });
});

describe('embedded data folder', () => {
  it('refuses to open a data folder another live process holds, naming the fix', async () => {
    const test = await createTestDatabase('pglite');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const { spawn } = await import('node:child_process');
    const other = spawn('sleep', ['30']);
    try {
      mkdirSync(`${test.dataDir}/pglite`, { recursive: true });
      writeFileSync(`${test.dataDir}/pglite/hearth.pid`, String(other.pid));
      await expect(openDatabase({ dataDir: test.dataDir })).rejects.toThrow(DataFolderInUseError);
      await expect(openDatabase({ dataDir: test.dataDir })).rejects.toThrow(/in use by another Hearth process .*Fix: stop that process/);
    } finally {
      other.kill();
      await test.drop();
    }
  });
});

describe('a new embedded database', () => {
  it('starts already migrated from the template, with the memory settings applied, and reopens', async () => {
    const test = await createTestDatabase('pglite');
    let database = await openDatabase({ dataDir: test.dataDir });
    try {
      expect(await migrationStatus(database)).toEqual({ applied: knownMigrations().length, known: knownMigrations().length, unknownApplied: 0 });
      expect((await runMigrations(database)).applied).toBe(0);
      const [buffers] = await database.rows<{ setting: string }>(sql`select current_setting('shared_buffers') as setting`);
      expect(buffers!.setting).toBe('16MB');
      await database.rows(sql`insert into people (id, display_name, role) values ('p-olive', 'Olive', 'owner')`);
      await database.close();
      database = await openDatabase({ dataDir: test.dataDir });
      expect(await database.rows(sql`select display_name from people`)).toEqual([{ display_name: 'Olive' }]);
    } finally {
      await database.close();
      await test.drop();
    }
  });

  it('is a copy of its own: what one data folder writes never shows in the next new one, and a copy cut short is made again', async () => {
    const { rmSync } = await import('node:fs');
    const first = await createTestDatabase('pglite');
    const second = await createTestDatabase('pglite');
    let database = await openDatabase({ dataDir: first.dataDir });
    try {
      await database.rows(sql`insert into people (id, display_name, role) values ('p-olive', 'Olive', 'owner')`);
      await database.close();
      database = await openDatabase({ dataDir: second.dataDir });
      expect(await database.rows(sql`select display_name from people`)).toEqual([]);
      await database.close();
      // A first start stopped mid-copy: everything but PG_VERSION, which is copied last.
      rmSync(`${first.dataDir}/pglite/PG_VERSION`);
      database = await openDatabase({ dataDir: first.dataDir });
      expect(await migrationStatus(database)).toEqual({ applied: knownMigrations().length, known: knownMigrations().length, unknownApplied: 0 });
      expect(await database.rows(sql`select display_name from people`)).toEqual([]);
    } finally {
      await database.close();
      await first.drop();
      await second.drop();
    }
  });

  it('applies the memory settings in memory too, without complaints on the console', async () => {
    // PGlite reports a settings file it cannot write through console.error ("Error writing file
    // /pglite/data/postgresql.conf"); Hearth's settings go on its command line instead.
    const complaints = vi.spyOn(console, 'error');
    const database = await openDatabase({ dataDir: '/nonexistent', inMemory: true });
    try {
      const settings = await database.rows<{ buffers: string; work: string }>(sql`select current_setting('shared_buffers') as buffers, current_setting('work_mem') as work`);
      expect(settings).toEqual([{ buffers: '16MB', work: '4MB' }]);
      expect(complaints).not.toHaveBeenCalled();
    } finally {
      complaints.mockRestore();
      await database.close();
    }
  });
});
