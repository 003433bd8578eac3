/**
 * Hearth's tables. One schema serves PGlite (embedded) and PostgreSQL (postgres.js); migrations
 * in drizzle/ are generated from this file with `npm run db:generate`.
 */
import { sql } from 'drizzle-orm';
import { bigserial, bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const people = pgTable('people', {
  id: text('id').primaryKey(),
  displayName: text('display_name').notNull(),
  role: text('role').notNull().default('guest'),
  /** IANA zone the person set with /timezone; null: the household's (HEARTH_TIMEZONE). */
  timeZone: text('time_zone'),
  createdAt: createdAt(),
});

/** A platform account that belongs to a person; one person may have several. */
export const identities = pgTable(
  'identities',
  {
    platform: text('platform').notNull(),
    accountId: text('account_id').notNull(),
    personId: text('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    displayName: text('display_name'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.accountId] }), index('identities_person_idx').on(t.personId)],
);

/**
 * Every inbound event, written before it is processed. The unique (platform, event_id) makes a
 * redelivered event a no-op; `status` and `lease_until` let a restarted process pick up what a
 * dead one had claimed.
 */
export const journal = pgTable(
  'inbound_journal',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    platform: text('platform').notNull(),
    eventId: text('event_id').notNull(),
    conversationKey: text('conversation_key').notNull(),
    message: jsonb('message').notNull(),
    /** pending → processing → done | ignored | refused | limited | failed */
    status: text('status').notNull().default('pending'),
    outcome: text('outcome'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    /**
     * The PostgreSQL process lock (src/db/lock-session.ts) of the Hearth process working on it:
     * when that lock is gone the process died, and the claim is taken over before its lease ends.
     */
    claimedBy: integer('claimed_by'),
    lastError: text('last_error'),
    /** The user was already told the model is unavailable; later retries stay quiet. */
    apologized: boolean('apologized').notNull().default(false),
    /** Message shown while streaming; the final reply replaces it instead of adding another. */
    previewMessageId: text('preview_message_id'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('inbound_journal_event_key').on(t.platform, t.eventId),
    index('inbound_journal_ready_idx').on(t.status, t.nextAttemptAt),
    index('inbound_journal_conversation_idx').on(t.conversationKey, t.id),
  ],
);

/**
 * Replies waiting to be delivered, one row per chunk. Written in the same transaction that
 * finishes the journal entry, so a crash between "answer composed" and "answer sent" resends the
 * stored answer instead of asking the model again; unique (journal_id, kind, seq) keeps replies
 * idempotent per inbound event.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    journalId: bigint('journal_id', { mode: 'number' }).references(() => journal.id, { onDelete: 'cascade' }),
    platform: text('platform').notNull(),
    conversationKey: text('conversation_key').notNull(),
    conversation: jsonb('conversation').notNull(),
    /** reply | apology | notice */
    kind: text('kind').notNull().default('reply'),
    seq: integer('seq').notNull().default(0),
    text: text('text').notNull(),
    replyToMessageId: text('reply_to_message_id'),
    addressee: jsonb('addressee'),
    /** Deliver by editing this message (the streaming preview) instead of sending a new one. */
    editMessageId: text('edit_message_id'),
    /** pending → sent | failed */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    sentMessageId: text('sent_message_id'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('outbox_reply_key').on(t.journalId, t.kind, t.seq),
    index('outbox_pending_idx').on(t.status, t.conversationKey, t.id),
  ],
);

/** Conversation history as the model sees it; raw rows are kept even when summarized. */
export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationKey: text('conversation_key').notNull(),
    personId: text('person_id').references(() => people.id, { onDelete: 'set null' }),
    /** user | assistant */
    role: text('role').notNull(),
    authorName: text('author_name'),
    content: text('content').notNull(),
    /** For a user message: the per-turn note ([Now: …], recalled memories) sent before it, replayed with it so the next request keeps the prompt's prefix. */
    note: text('note'),
    journalId: bigint('journal_id', { mode: 'number' }).references(() => journal.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('messages_conversation_idx').on(t.conversationKey, t.id),
    uniqueIndex('messages_turn_key').on(t.journalId, t.role).where(sql`${t.journalId} is not null`),
  ],
);

/**
 * Append-only: a trigger (migration 0002) rejects UPDATE and DELETE. Each row hashes the previous
 * row's hash and its own content, so an edit, deletion or reordering breaks the chain.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    kind: text('kind').notNull(),
    actorPersonId: text('actor_person_id'),
    platform: text('platform'),
    subject: text('subject'),
    detail: jsonb('detail').notNull().default({}),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_events_kind_idx').on(t.kind, t.at), index('audit_events_actor_idx').on(t.actorPersonId, t.at)],
);

/** Small durable values per adapter: polling offsets, sync tokens, registered command lists. */
export const adapterState = pgTable(
  'adapter_state',
  {
    platform: text('platform').notNull(),
    key: text('key').notNull(),
    value: jsonb('value').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.key] })],
);

/**
 * Platform events set aside because they could not be read or journaled after a few attempts
 * ("poison"), so the events after them could flow. One row per event (a redelivery bumps
 * `attempts`); the excerpt is bounded and storable. Shown by `hearth doctor`, counted in
 * /metrics, pruned after 30 days.
 */
export const poisonEvents = pgTable(
  'poison_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    platform: text('platform').notNull(),
    eventId: text('event_id').notNull(),
    error: text('error').notNull(),
    excerpt: text('excerpt').notNull(),
    attempts: integer('attempts').notNull().default(1),
    firstAt: timestamp('first_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastAt: timestamp('last_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('poison_events_event_key').on(t.platform, t.eventId), index('poison_events_last_idx').on(t.lastAt)],
);

/**
 * The newest audit record as last written: one row, updated in the transaction that appends each
 * record. `hearth audit verify` compares the chain's end with it, so deleting the newest records
 * (which leaves an intact but shorter chain) is found and named.
 */
export const auditHead = pgTable('audit_head', {
  id: integer('id').primaryKey(),
  lastId: bigint('last_id', { mode: 'number' }).notNull(),
  lastHash: text('last_hash').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
