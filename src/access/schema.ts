/**
 * Tables for people's permissions: per-person tool grants, pairing requests from strangers,
 * one-time link codes, tool-call approvals, where each person can be reached directly, and
 * model tokens used per day. Every person column references people(id), so joining two people
 * (src/access/merge.ts) finds them all through the foreign keys.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { people } from '../db/schema.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A person's own decision for one tool; overrides the default of their role. */
export const toolGrants = pgTable(
  'tool_grants',
  {
    personId: text('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    tool: text('tool').notNull(),
    /** allow | ask | deny */
    decision: text('decision').notNull(),
    /** Person id of whoever set it, or 'cli' / 'admin-api'. */
    grantedBy: text('granted_by').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.personId, t.tool] })],
);

/** A stranger asking to be let in; an approver turns the code into a guest. */
export const pairingRequests = pgTable(
  'pairing_requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    code: text('code').notNull(),
    platform: text('platform').notNull(),
    accountId: text('account_id').notNull(),
    displayName: text('display_name').notNull(),
    /** Where to tell them they are in. */
    conversation: jsonb('conversation').notNull(),
    /** pending | approved | denied | expired */
    status: text('status').notNull().default('pending'),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: at('decided_at'),
    /** The guest created on approval. */
    personId: text('person_id').references(() => people.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('pairing_requests_pending_code').on(t.code).where(sql`${t.status} = 'pending'`),
    uniqueIndex('pairing_requests_pending_account').on(t.platform, t.accountId).where(sql`${t.status} = 'pending'`),
  ],
);

/** `/link` codes: shown on one account, typed on another to join them. Single use. */
export const linkCodes = pgTable('link_codes', {
  code: text('code').primaryKey(),
  personId: text('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
  createdAt: at('created_at').notNull().defaultNow(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at'),
  /** platform:account that redeemed it. */
  usedBy: text('used_by'),
});

/**
 * `hearth setup` / `hearth owner claim`: a one-time code shown on the owner's terminal; whoever
 * sends `/claim CODE` to the bot becomes the owner. Only the code's hash is kept. At most one is
 * open at a time; wrong codes count against it and lock it after a few.
 */
export const ownerClaims = pgTable(
  'owner_claims',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** sha256 of the code as typed (normalized), hex. */
    codeHash: text('code_hash').notNull(),
    /** open | claimed | expired | locked | replaced */
    status: text('status').notNull().default('open'),
    /** Wrong codes sent while this claim was open. */
    failures: integer('failures').notNull().default(0),
    /** setup | cli | admin-api */
    createdVia: text('created_via').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    /** platform:account that claimed it. */
    claimedBy: text('claimed_by'),
    claimedAt: at('claimed_at'),
  },
  (t) => [uniqueIndex('owner_claims_one_open').on(t.status).where(sql`${t.status} = 'open'`)],
);

/** One `ask` tool call waiting for (or decided by) an approver. */
export const toolApprovals = pgTable(
  'tool_approvals',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    code: text('code').notNull(),
    requesterPersonId: text('requester_person_id').references(() => people.id, { onDelete: 'cascade' }),
    tool: text('tool').notNull(),
    /** Secrets already masked. */
    arguments: jsonb('arguments').notNull(),
    platform: text('platform').notNull(),
    conversationKey: text('conversation_key').notNull(),
    /** Conversation keys the request was posted to; a plain yes/no there answers it. */
    askedIn: jsonb('asked_in').$type<string[]>().notNull(),
    /** pending | approved | denied | expired */
    status: text('status').notNull().default('pending'),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: at('decided_at'),
  },
  (t) => [uniqueIndex('tool_approvals_pending_code').on(t.code).where(sql`${t.status} = 'pending'`), index('tool_approvals_status_idx').on(t.status, t.expiresAt)],
);

/** The newest direct conversation with each person per platform: where approval requests go. */
export const directChats = pgTable(
  'direct_chats',
  {
    personId: text('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    platform: text('platform').notNull(),
    conversation: jsonb('conversation').notNull(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.personId, t.platform] })],
);

/** Model tokens (prompt + answer) per person per UTC day, for the daily budget. */
export const tokenUsage = pgTable(
  'token_usage',
  {
    personId: text('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.personId, t.day] })],
);
