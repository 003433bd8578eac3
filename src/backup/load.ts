/**
 * Puts dumped rows back into a database whose schema is at the backup's own migration, in one
 * transaction: tables in foreign-key order (parents first), rows in batches through
 * jsonb_populate_recordset (PostgreSQL parses each value with the column type's own input, so
 * vectors, timestamps and jsonb come back exactly), then the sequences where they were, so new
 * rows do not collide with restored ids. The audit table's append-only trigger guards updates and
 * deletes only; inserting the chain as it was keeps every hash valid.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { publicTables, tableFile, type SequencePosition } from './dump.ts';
import { BackupError } from './errors.ts';

const BATCH = 500;

type Rows = <T>(query: SQL) => Promise<T[]>;

export async function loadDatabase(database: Database, folder: string, tables: string[], sequences: SequencePosition[]): Promise<void> {
  await database.db.transaction(async (tx) => {
    const rows: Rows = async <T>(query: SQL) => {
      const result = (await tx.execute(query)) as unknown as T[] | { rows: T[] };
      return Array.isArray(result) ? result : result.rows;
    };
    const present = new Set(await publicTables({ rows }));
    const missing = tables.filter((t) => !present.has(t));
    if (missing.length) {
      throw new BackupError(`the backup holds table(s) ${missing.join(', ')} that this Hearth's schema does not have`, 'restore it with the Hearth version that made it');
    }
    for (const table of await parentsFirst(rows, tables)) await loadTable(rows, table, join(folder, tableFile(table)));
    for (const s of sequences) {
      await rows(sql`select setval(${`public.${quote(s.name)}`}::regclass, ${s.lastValue}::bigint, ${s.isCalled})`);
    }
  });
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Tables ordered so that every table comes after the tables its foreign keys point to. */
async function parentsFirst(rows: Rows, tables: string[]): Promise<string[]> {
  const links = await rows<{ child: string; parent: string }>(sql`
    select child.relname as child, parent.relname as parent
    from pg_constraint c
    join pg_class child on child.oid = c.conrelid
    join pg_class parent on parent.oid = c.confrelid
    join pg_namespace n on n.oid = child.relnamespace
    where c.contype = 'f' and n.nspname = 'public'`);
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const { child, parent } of links) if (child !== parent && parents.has(parent)) parents.get(child)?.add(parent);
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const ready = tables.filter((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p)));
    if (ready.length === 0) throw new BackupError(`the tables ${tables.filter((t) => !placed.has(t)).join(', ')} refer to each other in a circle`, 'report this as a Hearth bug; the backup itself is fine');
    for (const t of ready) {
      ordered.push(t);
      placed.add(t);
    }
  }
  return ordered;
}

async function loadTable(rows: Rows, table: string, file: string): Promise<void> {
  const columns = await rows<{ name: string; always: boolean }>(sql`
    select column_name as name, (is_identity = 'YES' and identity_generation = 'ALWAYS') as always
    from information_schema.columns
    where table_schema = 'public' and table_name = ${table} and is_generated = 'NEVER'
    order by ordinal_position`);
  const list = sql.raw(columns.map((c) => quote(c.name)).join(', '));
  const overriding = sql.raw(columns.some((c) => c.always) ? ' overriding system value' : '');
  const target = sql`${sql.identifier('public')}.${sql.identifier(table)}`;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await rows(sql`insert into ${target} (${list})${overriding} select ${list} from jsonb_populate_recordset(null::${target}, ${`[${batch.join(',')}]`}::jsonb)`);
    batch = [];
  };
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    batch.push(line);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
}
