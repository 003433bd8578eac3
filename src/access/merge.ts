/**
 * Joining two people into one, when one human proves they hold both accounts (`/link`) or the
 * owner says so. Everything that belongs to a person follows: every column that references
 * people(id) — identities, history, grants, memories (whatever feature added them) — is found
 * through the database's foreign keys and re-pointed, in one transaction. The audit log is
 * left as it was written: it records who did what at the time.
 */
import { eq, sql } from 'drizzle-orm';
import type { Database, Db } from '../db/client.ts';
import { people } from '../db/schema.ts';
import { higherRole, type Role } from './policy.ts';
import type { Person } from './people.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

interface PersonColumn {
  table: string;
  column: string;
}

/** Every (table, column) with a foreign key to people(id). */
async function personColumns(database: Database): Promise<PersonColumn[]> {
  return database.rows<PersonColumn>(sql`
    select cl.relname as "table", a.attname as "column"
    from pg_constraint c
    join pg_class cl on cl.oid = c.conrelid
    join pg_namespace n on n.oid = cl.relnamespace
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
    where c.contype = 'f' and c.confrelid = 'public.people'::regclass and n.nspname = 'public'
    order by 1, 2`);
}

/**
 * Rows keyed by person that cannot simply be re-pointed (the survivor already has one): the
 * survivor's own row wins, except usage, which adds up.
 */
async function resolveConflicts(tx: Tx, from: string, into: string): Promise<void> {
  await tx.execute(sql`delete from tool_grants g where g.person_id = ${from} and exists (select 1 from tool_grants s where s.person_id = ${into} and s.tool = g.tool)`);
  await tx.execute(sql`delete from direct_chats d where d.person_id = ${from} and exists (select 1 from direct_chats s where s.person_id = ${into} and s.platform = d.platform)`);
  await tx.execute(sql`delete from connections d where d.person_id = ${from} and exists (select 1 from connections s where s.person_id = ${into} and s.kind = d.kind)`);
  await tx.execute(sql`update token_usage s set tokens = s.tokens + f.tokens from token_usage f where f.person_id = ${from} and s.person_id = ${into} and s.day = f.day`);
  await tx.execute(sql`delete from token_usage f where f.person_id = ${from} and exists (select 1 from token_usage s where s.person_id = ${into} and s.day = f.day)`);
}

export interface MergeResult {
  survivor: Person;
  absorbed: Person;
  /** table.column → rows moved */
  moved: Record<string, number>;
}

/**
 * Joins two people. The one with the higher role survives (on a tie, `preferred`): the same
 * human already held both accounts, so they keep what the stronger one could do — and the
 * owner can never be absorbed into someone else.
 */
export async function mergePeople(database: Database, a: Person, b: Person, preferred: Person): Promise<MergeResult> {
  if (a.id === b.id) throw new Error('those accounts already belong to the same person');
  const role: Role = higherRole(a.role, b.role);
  const survivor = a.role === b.role ? preferred : a.role === role ? a : b;
  const absorbed = survivor.id === a.id ? b : a;
  const columns = await personColumns(database);
  const moved: Record<string, number> = {};
  await database.db.transaction(async (tx) => {
    await resolveConflicts(tx, absorbed.id, survivor.id);
    for (const { table, column } of columns) {
      const result = await tx.execute(sql`update ${sql.identifier(table)} set ${sql.identifier(column)} = ${survivor.id} where ${sql.identifier(column)} = ${absorbed.id}`);
      const count = rowCount(result);
      if (count) moved[`${table}.${column}`] = count;
    }
    await tx.delete(people).where(eq(people.id, absorbed.id));
  });
  return { survivor, absorbed, moved };
}

function rowCount(result: unknown): number {
  const r = result as { count?: number; affectedRows?: number };
  return Number(r?.count ?? r?.affectedRows ?? 0);
}
