/**
 * Applies the committed migrations in drizzle/ at start. Idempotent; serialized across processes
 * with an advisory lock; refuses to let an older Hearth touch a schema a newer one has migrated.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Database } from './client.ts';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
}

export class PgvectorMissingError extends Error {
  override name = 'PgvectorMissingError';
}

export function knownMigrations(): JournalEntry[] {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: JournalEntry[] };
  return journal.entries;
}

export interface MigrationStatus {
  applied: number;
  known: number;
  /** Migrations in the database that this Hearth does not know: it is older than the schema. */
  unknownApplied: number;
}

export async function migrationStatus(database: Database): Promise<MigrationStatus> {
  const known = knownMigrations();
  const exists = await database.rows<{ present: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if (!exists[0]?.present) return { applied: 0, known: known.length, unknownApplied: 0 };
  const applied = await database.rows<{ created_at: string | number }>(sql`select created_at from drizzle.__drizzle_migrations`);
  const newestKnown = Math.max(...known.map((m) => m.when));
  const unknownApplied = applied.filter((row) => Number(row.created_at) > newestKnown).length;
  return { applied: applied.length, known: known.length, unknownApplied };
}

export async function runMigrations(database: Database): Promise<{ applied: number }> {
  await ensurePgvector(database);
  const lockKey = 0x4845_4152; // "HEAR": one migrator at a time when several gateways share a server
  if (database.driver === 'postgres') await database.rows(sql`select pg_advisory_lock(${lockKey})`);
  try {
    const before = await migrationStatus(database);
    if (before.unknownApplied > 0) {
      throw new SchemaTooNewError(
        `This database was upgraded by a newer Hearth (${before.unknownApplied} migration(s) this version does not know). ` +
          'Running an older Hearth against it could corrupt data. Fix: upgrade Hearth to the newer version again, or restore the backup taken before the upgrade.',
      );
    }
    if (database.driver === 'pglite') {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(database.db as never, { migrationsFolder });
    } else {
      const { migrate } = await import('drizzle-orm/postgres-js/migrator');
      await migrate(database.db as never, { migrationsFolder });
    }
    const after = await migrationStatus(database);
    return { applied: after.applied - before.applied };
  } finally {
    if (database.driver === 'postgres') await database.rows(sql`select pg_advisory_unlock(${lockKey})`);
  }
}

async function ensurePgvector(database: Database): Promise<void> {
  const available = await database.rows<{ name: string }>(sql`select name from pg_available_extensions where name = 'vector'`);
  if (available.length === 0) {
    throw new PgvectorMissingError(
      `The PostgreSQL server at ${database.location} does not have the pgvector extension installed. ` +
        'Fix: install it on the server (Debian/Ubuntu: apt install postgresql-<version>-pgvector; Docker: use the pgvector/pgvector image), ' +
        'or unset DATABASE_URL to use the embedded database.',
    );
  }
}
