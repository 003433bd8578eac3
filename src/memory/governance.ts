/**
 * What the owner does with memories from outside a conversation (the web admin, `hearth memory`):
 * list and search one person's memories, delete one for good with the same audit record the
 * chat's /forget writes, and export them. Person scope is found by its owner; shared memories
 * (room, household) by who saved them.
 */
import { and, desc, eq, ilike, or, type SQL } from 'drizzle-orm';
import type { AuditLog } from '../audit/audit.ts';
import type { Database } from '../db/client.ts';
import { memories } from './schema.ts';
import { memoryColumns, type Memory, type MemoryStore } from './store.ts';

export interface MemoryFilter {
  /** Their private memories and the shared ones they saved. */
  personId?: string;
  /** Words the memory contains (case-insensitive). */
  search?: string;
  limit?: number;
}

export async function findMemories(database: Database, filter: MemoryFilter): Promise<Memory[]> {
  const conditions: SQL[] = [];
  if (filter.personId) conditions.push(or(and(eq(memories.scope, 'person'), eq(memories.personId, filter.personId)), eq(memories.createdBy, filter.personId))!);
  const search = filter.search?.trim();
  if (search) conditions.push(ilike(memories.text, `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  const rows = await database.db
    .select(memoryColumns)
    .from(memories)
    .where(and(...conditions))
    .orderBy(desc(memories.id))
    .limit(filter.limit ?? 200);
  return rows as Memory[];
}

export interface Forgetter {
  actorPersonId: string | null;
  platform: string;
  via: string;
}

/** Hard delete and its audit record; the record never holds the memory's text (the log is append-only). */
export async function forgetMemory(store: MemoryStore, audit: AuditLog, id: number, by: Forgetter): Promise<Memory | undefined> {
  const removed = await store.remove(id);
  if (removed) await recordForgotten(audit, removed, by);
  return removed;
}

export async function recordForgotten(audit: AuditLog, memory: Memory, by: Forgetter): Promise<void> {
  await audit.record({
    kind: 'memory.deleted',
    actorPersonId: by.actorPersonId,
    platform: by.platform,
    subject: `memory:${memory.id}`,
    detail: { scope: memory.scope, ownerPersonId: memory.personId, roomKey: memory.roomKey, createdBy: memory.createdBy, via: by.via },
  });
}
