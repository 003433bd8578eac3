/**
 * Opens Hearth's database: PGlite with pgvector in a data folder by default (zero setup), or a
 * PostgreSQL server through postgres.js when DATABASE_URL is set. Both expose the same drizzle API.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import * as schema from './schema.ts';
import { lockDataFolder } from './data-lock.ts';
import { copyTemplateInto, pgliteStartParams, pgliteTemplate } from './pglite-template.ts';
import type { LockSession, LockSessionOptions } from './lock-session.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type DriverName = 'pglite' | 'postgres';

export interface Database {
  db: Db;
  driver: DriverName;
  /** Where the data lives, for logs and doctor (never includes credentials). */
  location: string;
  /** Runs raw SQL and returns rows the same way on both drivers. */
  rows<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  /** PostgreSQL only: the settings every pooled connection starts with (see OpenOptions.sessionSettings). */
  sessionSettings?: Readonly<Record<string, string>>;
  /**
   * PostgreSQL only: a connection of its own for advisory locks, through which several Hearth
   * processes share the work (src/pipeline/connections.ts). PGlite has one process by nature.
   */
  openLockSession?(options: LockSessionOptions): Promise<LockSession>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  /** PGlite only: keep everything in memory (tests, benchmarks). */
  inMemory?: boolean;
  /** PGlite only: a new database starts without Hearth's tables (restoring a backup at its own schema). */
  emptyWhenNew?: boolean;
  /**
   * PostgreSQL only: run-time settings every connection of the pool starts with (sent when it
   * connects), e.g. the memory search's HNSW settings, so a query needs no transaction to set
   * them first. Only Hearth uses the pool.
   */
  sessionSettings?: Record<string, string>;
}

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly fix: string;
  constructor(message: string, fix: string, options?: ErrorOptions) {
    super(`${message}. Fix: ${fix}`, options);
    this.fix = fix;
  }
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.sessionSettings) : openPglite(options);
}

async function openPglite(options: OpenOptions): Promise<Database> {
  const [{ PGlite }, { vector }, { drizzle }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
    import('drizzle-orm/pglite'),
  ]);
  const folder = options.inMemory ? undefined : resolve(options.dataDir, 'pglite');
  if (folder) mkdirSync(folder, { recursive: true });
  const unlock = folder ? lockDataFolder(folder) : () => {};
  let client;
  try {
    // A new database starts as a copy of the migrated template instead of initdb + migrations:
    // a data folder copies the unpacked template, memory unpacks the tarball.
    const fresh = !folder || !existsSync(join(folder, 'PG_VERSION'));
    const fromTemplate = fresh && !options.emptyWhenNew;
    const copied = fromTemplate && folder !== undefined && (await copyTemplateInto(folder));
    // A household's data fits easily in 16 MB of buffers; PostgreSQL's default 128 MB would
    // cost that much resident memory on a box that may have 2 GB in all. On the command line
    // rather than in postgresql.conf: PGlite cannot write that file in memory, so there they were lost.
    client = await PGlite.create({ dataDir: folder, extensions: { vector }, startParams: pgliteStartParams(PGlite.defaultStartParams), loadDataDir: fromTemplate && !copied ? await pgliteTemplate() : undefined });
  } catch (error) {
    unlock();
    throw new DatabaseUnavailableError(
      `could not open the embedded database in ${folder}`,
      'make sure no other Hearth process is using this data folder (only one process can open it), and that the folder is writable; or set DATABASE_URL to use a PostgreSQL server',
      { cause: error },
    );
  }
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    driver: 'pglite',
    location: folder ?? 'memory',
    async rows<T>(query: SQL) {
      const result = (await db.execute(query)) as unknown as { rows: T[] };
      return result.rows;
    },
    async close() {
      await client.close();
      unlock();
    },
  };
}

async function openPostgres(url: string, sessionSettings?: Record<string, string>): Promise<Database> {
  const [{ default: postgres }, { drizzle }] = await Promise.all([import('postgres'), import('drizzle-orm/postgres-js')]);
  const client = postgres(url, { max: 10, onnotice: () => {}, connect_timeout: 10, ...(sessionSettings ? { connection: sessionSettings } : {}) });
  try {
    await client`select 1`;
  } catch (error) {
    await client.end({ timeout: 1 });
    throw new DatabaseUnavailableError(
      `could not connect to PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`,
      'check that the server is running and DATABASE_URL (host, port, user, password, database) is right',
      { cause: error },
    );
  }
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    driver: 'postgres',
    location: redactUrl(url),
    ...(sessionSettings ? { sessionSettings } : {}),
    async rows<T>(query: SQL) {
      return (await db.execute(query)) as unknown as T[];
    },
    async openLockSession(options) {
      const { openLockSession } = await import('./lock-session.ts');
      return openLockSession(url, options);
    },
    close: () => client.end({ timeout: 5 }),
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
