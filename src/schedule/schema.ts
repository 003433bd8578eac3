/**
 * Reminders and routines: one row each, with the instant it next fires. A due row is claimed
 * with FOR UPDATE SKIP LOCKED and a lease (lease_until, lease_token), so two gateways on one
 * database never fire the same occurrence and a process killed mid-fire leaves it to the next.
 */
import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { people } from '../db/schema.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const reminders = pgTable(
  'reminders',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** reminder: a message at the time · routine: an agent turn as the person at the time */
    kind: text('kind').notNull(),
    /** Who it is for (who is reminded, whose routine runs). */
    personId: text('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    /** Who set it (an owner may set one for someone else). */
    createdBy: text('created_by').notNull(),
    text: text('text').notNull(),
    /** The zone times are shown in and wall-clock rules follow. */
    timeZone: text('time_zone').notNull(),
    /** Repeating: `{ rule, wallClock, description }` (see when.ts); null for a one-off. */
    repeat: jsonb('repeat'),
    /** Where it fires: a conversation, or null to reach the person's direct chat at fire time. */
    platform: text('platform'),
    conversation: jsonb('conversation'),
    /** In a group: the message that set it, answered so the platform mentions the person. */
    replyToMessageId: text('reply_to_message_id'),
    /** The person's account in that conversation (mention / allowed mentions). */
    addressee: jsonb('addressee'),
    /** active → done | missed | cancelled */
    status: text('status').notNull().default('active'),
    nextAt: at('next_at').notNull(),
    leaseUntil: at('lease_until'),
    leaseToken: text('lease_token'),
    fired: integer('fired').notNull().default(0),
    lastFiredAt: at('last_fired_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('reminders_due_idx').on(t.nextAt).where(sql`status = 'active'`), index('reminders_person_idx').on(t.personId)],
);
