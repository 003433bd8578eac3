/**
 * Applies the committed migrations in drizzle/ at start. Idempotent; serialized across processes
 * with an advisory lock; refuses to let an older Hearth touch a schema a newer one has migrated.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A migration as the database records it (drizzle's own table), named when this Hearth knows it. */
export interface AppliedMigration {
  /** The migration's timestamp: drizzle's created_at, the journal's `when`. */
  when: number;
  hash: string;
  tag?: string;
}

export async function appliedMigrations(database: Database): Promise<AppliedMigration[]> {
  const exists = await database.rows<{ present: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if (!exists[0]?.present) return [];
  const rows = await database.rows<{ hash: string; created_at: string | number }>(sql`select hash, created_at from drizzle.__drizzle_migrations order by created_at, id`);
  const tags = new Map(knownMigrations().map((m) => [m.when, m.tag]));
  return rows.map((row) => ({ when: Number(row.created_at), hash: row.hash, tag: tags.get(Number(row.created_at)) }));
}

/** Drizzle's hash of a migration file: sha256 of its SQL. */
export function migrationHash(tag: string): string {
  return createHash('sha256').update(readFileSync(`${migrationsFolder}/${tag}.sql`, 'utf8')).digest('hex');
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

export interface MigrateOptions {
  /** Apply only the first `upTo` migrations (restoring a backup at its own schema, tests). */
  upTo?: number;
  /**
   * Runs once it is known that migrations are pending on a database that already holds Hearth's
   * data, before any is applied (the automatic backup). Throwing stops the migration.
   */
  beforeApplying?: (status: MigrationStatus) => Promise<void>;
}

export async function runMigrations(database: Database, options: MigrateOptions = {}): Promise<{ applied: number }> {
  await ensurePgvector(database);
  // One migrator at a time when several gateways share a server. The lock lives on a connection
  // of its own: taken and released through the pool, the two could land on different connections.
  const lock = await database.openLockSession?.({ deadPeerSeconds: 30, onLost: () => {} });
  await lock?.lock('migrations');
  try {
    const before = await migrationStatus(database);
    if (before.unknownApplied > 0) {
      throw new SchemaTooNewError(
        `This database was upgraded by a newer Hearth (${before.unknownApplied} migration(s) this version does not know). ` +
          'Running an older Hearth against it could corrupt data. Fix: upgrade Hearth to the newer version again, or restore the backup taken before the upgrade.',
      );
    }
    const target = Math.min(options.upTo ?? before.known, before.known);
    if (before.applied >= target) return { applied: 0 };
    if (before.applied > 0) await options.beforeApplying?.(before);
    const folder = target < before.known ? partialMigrationsFolder(target) : migrationsFolder;
    try {
      if (database.driver === 'pglite') {
        const { migrate } = await import('drizzle-orm/pglite/migrator');
        await migrate(database.db as never, { migrationsFolder: folder });
      } else {
        const { migrate } = await import('drizzle-orm/postgres-js/migrator');
        await migrate(database.db as never, { migrationsFolder: folder });
      }
    } finally {
      if (folder !== migrationsFolder) rmSync(folder, { recursive: true, force: true });
    }
    const after = await migrationStatus(database);
    return { applied: after.applied - before.applied };
  } finally {
    await lock?.close();
  }
}

/**
 * The first `count` migrations as a folder of their own: drizzle's migrator applies a whole
 * folder, so stopping at an older schema means giving it a journal that ends there.
 */
function partialMigrationsFolder(count: number): string {
  const folder = mkdtempSync(join(tmpdir(), 'hearth-migrations-'));
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: JournalEntry[] };
  journal.entries = journal.entries.slice(0, count);
  mkdirSync(join(folder, 'meta'));
  writeFileSync(join(folder, 'meta/_journal.json'), JSON.stringify(journal));
  for (const entry of journal.entries) cpSync(`${migrationsFolder}/${entry.tag}.sql`, join(folder, `${entry.tag}.sql`));
  return folder;
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
