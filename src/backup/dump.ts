/**
 * The database as data: every table of Hearth's schema as JSON lines (one row each, as
 * PostgreSQL's own to_jsonb writes it) plus the sequences' positions, read in one repeatable-read
 * snapshot so the rows agree with each other while Hearth keeps answering. Going through SQL
 * rather than pg_dump or PGlite's folder means the same file restores on either driver, needs no
 * server tools, and carries vectors (as their text form) and the audit chain (rows and hashes
 * exactly as stored). Rows are fetched through a cursor, a batch at a time, so memory stays flat.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';

const BATCH = 500;

export interface SequencePosition {
  name: string;
  lastValue: string;
  isCalled: boolean;
}

export interface DatabaseDump {
  /** Rows per table; each table is in database/<table>.jsonl. */
  tables: Record<string, number>;
  sequences: SequencePosition[];
}

export const tableFile = (table: string) => `database/${table}.jsonl`;
export const SEQUENCES_FILE = 'database/sequences.json';

/** Hearth's tables: every ordinary table in the public schema (drizzle keeps its own in `drizzle`). */
export async function publicTables(database: Pick<Database, 'rows'>): Promise<string[]> {
  const rows = await database.rows<{ name: string }>(
    sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' order by c.relname`,
  );
  return rows.map((r) => r.name);
}

export async function dumpDatabase(database: Database, folder: string): Promise<DatabaseDump> {
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`set transaction isolation level repeatable read, read only`);
    const rows = async <T>(query: ReturnType<typeof sql>) => {
      const result = (await tx.execute(query)) as unknown as T[] | { rows: T[] };
      return Array.isArray(result) ? result : result.rows;
    };
    const tables: Record<string, number> = {};
    for (const table of await publicTables({ rows })) {
      tables[table] = await dumpTable(rows, table, join(folder, tableFile(table)));
    }
    const sequenceNames = await rows<{ name: string }>(
      sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'S' order by c.relname`,
    );
    const sequences: SequencePosition[] = [];
    for (const { name } of sequenceNames) {
      const [position] = await rows<{ last_value: string; is_called: boolean }>(sql`select last_value::text as last_value, is_called from ${sql.identifier('public')}.${sql.identifier(name)}`);
      if (position) sequences.push({ name, lastValue: position.last_value, isCalled: position.is_called });
    }
    return { tables, sequences };
  });
}

type Rows = <T>(query: ReturnType<typeof sql>) => Promise<T[]>;

async function dumpTable(rows: Rows, table: string, file: string): Promise<number> {
  const out = await open(file, 'w', 0o600);
  let count = 0;
  try {
    await rows(sql`declare hearth_backup no scroll cursor for select to_jsonb(t)::text as row from ${sql.identifier('public')}.${sql.identifier(table)} t`);
    for (;;) {
      const batch = await rows<{ row: string }>(sql.raw(`fetch ${BATCH} from hearth_backup`));
      if (batch.length === 0) break;
      await out.write(`${batch.map((r) => r.row).join('\n')}\n`);
      count += batch.length;
    }
    await rows(sql`close hearth_backup`);
  } finally {
    await out.close();
  }
  return count;
}
