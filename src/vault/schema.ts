/**
 * Per-person connections to outside accounts (a CalDAV calendar, an IMAP/SMTP mailbox). The
 * settings a person may see (URLs, user name) are plain; the password is sealed with the secret
 * key (cipher.ts), which never lives in the database.
 */
import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { people } from '../db/schema.ts';

export const connections = pgTable(
  'connections',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Whose account this is; null for the household calendar the owner shares. */
    personId: text('person_id').references(() => people.id, { onDelete: 'cascade' }),
    /** 'calendar' | 'mail' */
    kind: text('kind').notNull(),
    /** URLs and user name: shown to the person, never secret. */
    settings: jsonb('settings').notNull(),
    /** The password, sealed (v1:nonce:tag:ciphertext). */
    secret: text('secret').notNull(),
    /** For the household calendar: the people the owner shares it with. */
    sharedWith: jsonb('shared_with').notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  // One calendar and one mailbox per person, and one household calendar.
  (t) => [uniqueIndex('connections_person_kind_key').on(sql`coalesce(${t.personId}, '')`, t.kind), index('connections_person_idx').on(t.personId)],
);
