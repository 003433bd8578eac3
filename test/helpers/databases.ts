/**
 * The two database drivers every database test runs on: embedded PGlite and a real PostgreSQL
 * server (with pgvector) through postgres.js. Each Postgres test gets a database of its own.
 * Without a reachable server the PostgreSQL half is skipped, or failed in CI (requirements.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { assertTestLive, testIsLive } from './test-scope.ts';

export type Driver = 'pglite' | 'postgres';
export const drivers: Driver[] = ['pglite', 'postgres'];

export const serverUrl = process.env.HEARTH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  driver: Driver;
  /** Set for postgres. */
  databaseUrl?: string;
  /** Set for pglite: a fresh folder, so a test can "restart" on the same data. */
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(driver: Driver): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-test-'));
  if (driver === 'pglite') return { driver, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };

  // Under vitest a missing server was found once already: fail at once, not after a connect timeout.
  if (process.env.VITEST) (await import('./requirements.ts')).need('postgres');
  const name = `hearth_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [available] = await admin`select count(*)::int as n from pg_available_extensions where name = 'vector'`;
    if (!available?.n) throw new Error(`the PostgreSQL server at ${serverUrl} has no pgvector extension. Run \`bash .ci/install-pgvector\` (as root) first.`);
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    throw new Error(
      `These tests need a PostgreSQL server with pgvector at ${serverUrl} (set HEARTH_TEST_POSTGRES_URL to use another): ${(error as Error).message}. ` +
        'On this machine: `bash .ci/install-pgvector` and `pg_ctlcluster 15 main start`.',
      { cause: error },
    );
  } finally {
    await admin.end({ timeout: 1 });
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database: TestDatabase = {
    driver,
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await cleanup.end({ timeout: 1 });
    },
  };
  if (!testIsLive()) {
    await database.drop();
    assertTestLive('keep the database it created');
  }
  return database;
}
