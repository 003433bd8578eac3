/**
 * A household with every kind of data Hearth keeps, made through the ways people really use it
 * (chat messages, commands, the remember tool), and a complete picture of a database to compare
 * before and after a backup travels: every row of every table, the sequences, the audit head.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.ts';
import { verifyAuditChain } from '../../src/audit/verify.ts';
import type { Hearth } from '../helpers/harness.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';

export const OWNER = 'test:owner-1';
export const olive = { accountId: 'owner-1', displayName: 'Olive' };
export const bob = { accountId: 'bob-1', displayName: 'Bob' };
export const dm = (id: string) => ({ id, kind: 'direct' as const });

async function say(h: Hearth, adapter: TestAdapter, message: Parameters<TestAdapter['inject']>[0]): Promise<string> {
  const before = adapter.sent.length;
  await adapter.inject(message);
  await h.idle();
  return adapter.sent.slice(before).map((m) => m.text).join('\n');
}

/** People with roles, a grant, private and household memories with embeddings, history, audit. */
export async function fillHousehold(h: Hearth, adapter: TestAdapter): Promise<void> {
  await say(h, adapter, { sender: olive, conversation: dm('dm-olive'), text: 'Hello, I am Olive.' });
  await h.hearth.gateway.people.create({ displayName: 'Bob', role: 'member', account: { platform: 'test', accountId: bob.accountId, displayName: 'Bob' } });
  await say(h, adapter, { sender: olive, conversation: dm('dm-olive'), text: '/grant Bob remember deny' });
  await say(h, adapter, { sender: olive, conversation: dm('dm-olive'), text: '/remember Olive is allergic to peanuts' });
  h.ollama.reply({ toolCalls: [{ name: 'remember', arguments: { text: 'The recycling goes out on Tuesday evenings', scope: 'household' } }] }, 'Noted!');
  await say(h, adapter, { sender: olive, conversation: dm('dm-olive'), text: 'Remember for everyone when the recycling goes out' });
  await say(h, adapter, { sender: bob, conversation: dm('dm-bob'), text: 'What is for dinner?' });
  // A stranger asks to be let in: a pairing request and its audit record.
  await say(h, adapter, { sender: { accountId: 'stranger-1', displayName: 'Sam' }, conversation: dm('dm-sam'), text: 'hi' });
}

export interface Picture {
  tables: Record<string, string[]>;
  sequences: Record<string, string>;
  auditHead: string;
  auditRecords: number;
}

/** Every row of every table (as PostgreSQL's JSON), sorted, and each sequence's next value. */
export async function picture(database: Database): Promise<Picture> {
  const tables: Record<string, string[]> = {};
  const names = await database.rows<{ name: string }>(sql`select relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' order by 1`);
  for (const { name } of names) {
    const rows = await database.rows<{ row: string }>(sql`select to_jsonb(t)::text as row from ${sql.identifier(name)} t order by 1`);
    tables[name] = rows.map((r) => r.row);
  }
  const sequences: Record<string, string> = {};
  const seqs = await database.rows<{ name: string }>(sql`select relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'S' order by 1`);
  for (const { name } of seqs) {
    const [row] = await database.rows<{ v: string }>(sql`select (case when is_called then last_value + 1 else last_value end)::text as v from ${sql.identifier(name)}`);
    sequences[name] = row!.v;
  }
  const audit = await verifyAuditChain(database);
  if (!audit.ok) throw new Error(`audit chain broken: ${JSON.stringify(audit.problems)}`);
  return { tables, sequences, auditHead: audit.headHash, auditRecords: audit.records };
}
