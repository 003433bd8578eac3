/**
 * Shared pieces of the memory tests: a household of people with platform accounts, the prompts
 * the Ollama stand-in received, and a start/restart helper on a test database of either driver.
 */
import { sql } from 'drizzle-orm';
import type { Hearth } from '../helpers/harness.ts';
import { startHearth } from '../helpers/harness.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import { hearthNote, type ChatBody, type FakeOllama } from '../fakes/ollama.ts';
import { runHearth } from '../helpers/run-hearth.ts';

export const OWNER = 'test:owner-1';
export const OLIVE = { accountId: 'owner-1', displayName: 'Olive' };
export const BOB = { accountId: 'bob-1', displayName: 'Bob' };
export const GUS = { accountId: 'gus-1', displayName: 'Gus' };
export const dm = (id: string) => ({ id, kind: 'direct' as const });
export const group = (id: string) => ({ id, kind: 'group' as const });

export { until } from '../helpers/eventually.ts';

export interface MemoryTestContext {
  database: TestDatabase;
  ollama: FakeOllama;
  adapter: TestAdapter;
}

export function start(t: MemoryTestContext, config: Record<string, unknown> = {}, adapter = t.adapter): Promise<Hearth> {
  return startHearth({
    adapters: [adapter],
    owner: OWNER,
    driver: t.database.driver,
    dataDir: t.database.dataDir,
    databaseUrl: t.database.databaseUrl,
    ollama: t.ollama,
    config: { agent: { streaming: false }, limits: { messagesPerMinute: 1000 }, ...config },
  });
}

/** Adds a person with one test-platform account (directly in the tables, as `hearth people` would). */
export async function addPerson(h: Hearth, person: { id: string; name: string; role: 'member' | 'guest'; accountId: string }): Promise<void> {
  await h.hearth.database.rows(sql`insert into people (id, display_name, role) values (${person.id}, ${person.name}, ${person.role}) on conflict do nothing`);
  await h.hearth.database.rows(sql`insert into identities (platform, account_id, person_id) values ('test', ${person.accountId}, ${person.id}) on conflict do nothing`);
}

export async function ownerId(h: Hearth): Promise<string> {
  const [row] = await h.hearth.database.rows<{ id: string }>(sql`select id from people where role = 'owner' limit 1`);
  return row!.id;
}

/** The answering requests (streamed turns), not Hearth's own housekeeping calls. */
export function turnRequests(ollama: FakeOllama): ChatBody[] {
  return ollama.chatRequests.filter((r) => r.stream !== false);
}

/** What Hearth gave the model besides the conversation in the last answering request: the system prompt and the note before the newest message (recalled memories). */
export function lastPromptContext(ollama: FakeOllama): string {
  const last = turnRequests(ollama).at(-1);
  if (!last) throw new Error('the model was never asked');
  return `${last.messages[0]!.content}\n${hearthNote(last.messages.at(-1)!.content)}`;
}

/** Everything the model was shown in the last answering request. */
export function lastPromptText(ollama: FakeOllama): string {
  return turnRequests(ollama).at(-1)!.messages.map((m) => m.content).join('\n');
}

export async function memoryRows(h: Hearth): Promise<Array<{ id: number; text: string; scope: string; person_id: string | null; room_key: string | null; embedding_model: string | null; embedding_dims: number | null; source_journal_id: number | null; created_by: string | null }>> {
  const rows = await h.hearth.database.rows<Record<string, unknown>>(
    sql`select id, text, scope, person_id, room_key, embedding_model, embedding_dims, source_journal_id, created_by from memories order by id`,
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), embedding_dims: r.embedding_dims === null ? null : Number(r.embedding_dims), source_journal_id: r.source_journal_id === null ? null : Number(r.source_journal_id) })) as never;
}

/** Sends a message and waits until Hearth has answered everything. */
export async function say(h: Hearth, adapter: TestAdapter, message: Parameters<TestAdapter['inject']>[0]): Promise<string> {
  const before = adapter.sent.length;
  await adapter.inject(message);
  await h.idle();
  return adapter.sent.slice(before).map((m) => m.text).join('\n');
}

/** Runs the real `hearth` command against this test database (Hearth itself must be stopped for PGlite). */
export async function hearthCli(t: MemoryTestContext, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = await runHearth(args, {
    HEARTH_CONFIG: '/dev/null',
    HEARTH_ENV_FILE: '/nonexistent/.env',
    HEARTH_DATA_DIR: t.database.dataDir,
    ...(t.database.databaseUrl ? { DATABASE_URL: t.database.databaseUrl } : {}),
    OLLAMA_HOST: t.ollama.url,
    ...env,
  });
  return { ...run, code: run.code ?? -1 };
}
