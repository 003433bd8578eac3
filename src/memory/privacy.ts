/**
 * Who may see, write and delete which memories. Every decision here is made from the sender's
 * person (found by the identify stage from their platform account) and the conversation the
 * message came from — never from message text or anything the model says.
 *
 * - person scope: only that person, only when they are the sender, and only in a direct
 *   conversation — in a group the others would read whatever the model repeats;
 * - room scope: anyone speaking in that conversation (the room key is the conversation key, so
 *   a thread is a room of its own and nothing crosses from one room to another);
 * - household scope: every member and the owner, in any conversation; not guests.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Person } from '../access/people.ts';
import type { MemoryScope } from './schema.ts';

export interface Viewer {
  personId: string;
  role: Person['role'];
  /** The conversation the message came from. */
  roomKey: string;
  /** A direct conversation: the only place private memories are used. */
  direct: boolean;
}

/** SQL condition on the `memories` table: rows this viewer may have recalled in this conversation. */
export function visibleTo(viewer: Viewer): SQL {
  const parts = [sql`(memories.scope = 'room' and memories.room_key = ${viewer.roomKey})`];
  if (viewer.direct) parts.push(sql`(memories.scope = 'person' and memories.person_id = ${viewer.personId})`);
  if (viewer.role !== 'guest') parts.push(sql`memories.scope = 'household'`);
  return sql`(${sql.join(parts, sql` or `)})`;
}

export function isVisibleTo(memory: { scope: MemoryScope; personId: string | null; roomKey: string | null }, viewer: Viewer): boolean {
  if (memory.scope === 'person') return viewer.direct && memory.personId === viewer.personId;
  if (memory.scope === 'room') return memory.roomKey === viewer.roomKey;
  return viewer.role !== 'guest';
}

/** Guests may only keep memories about themselves; shared memories need a member. */
export function mayWrite(scope: MemoryScope, role: Person['role']): boolean {
  return scope === 'person' || role !== 'guest';
}

/** Your own private memories and what you created; the owner may delete anything. */
export function mayForget(memory: { scope: MemoryScope; personId: string | null; createdBy: string | null }, person: Pick<Person, 'id' | 'role'>): boolean {
  if (person.role === 'owner') return true;
  if (memory.scope === 'person') return memory.personId === person.id;
  return memory.createdBy === person.id;
}
