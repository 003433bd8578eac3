/**
 * The inbound journal: every event is stored before anything else happens to it. Redelivered
 * events hit the unique (platform, event_id) key and are dropped; claimed events carry a lease so
 * that one whose process died is picked up again.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import type { Sender } from '../access/types.ts';
import type { Database } from '../db/client.ts';
import { PROCESS_LOCKS } from '../db/lock-session.ts';
import { journal } from '../db/schema.ts';
import { conversationKeyOf, type HistoryLine, type Outcome } from './context.ts';
import type { JournalMessage } from './origin.ts';
import { CLAIMED_COLUMNS, claimedRowOf, type ClaimedRow, type NewReplyLease } from './outbox.ts';

/** An outbox row as outboxRows() makes it (outbox.ts). */
export type OutboxRow = {
  journalId: number | null;
  platform: string;
  conversationKey: string;
  conversation: unknown;
  kind: string;
  seq: number;
  text: string;
  replyToMessageId: string | null;
  addressee: unknown;
  editMessageId: string | null;
};

/** What settling a turn (finish) reports. */
export interface Settled {
  /** False when another process took the entry over meanwhile: nothing was written. */
  settled: boolean;
  /** The first reply, stored claimed for this process. */
  claimed?: ClaimedRow;
  /** A later message of the conversation is due. */
  conversationWaits: boolean;
}

/** A history line as finish() stores it. */
export type HistoryRow = HistoryLine & { conversationKey: string; journalId: number };

export interface JournalEntry {
  id: number;
  message: JournalMessage;
  conversationKey: string;
  attempts: number;
  apologized: boolean;
  previewMessageId: string | null;
  receivedAt: Date;
  /** Who sent it, read with the claim (JournalOptions.senderOf): null for nobody; undefined when not read. */
  sender?: Sender | null;
}

export interface JournalOptions {
  /** How long a claim holds before another worker may take the entry over. */
  leaseMs: number;
  /** This process's liveness lock (PostgreSQL), written on its claims; see connections.ts. */
  processId?: number;
  /**
   * SQL for the sender of a claimed message (People's senderOfAccount): read in the claim's own
   * statement, so a turn starts knowing who is speaking instead of asking in a second round trip.
   */
  senderOf?: { sql(platform: SQL, accountId: SQL): SQL; parse(value: unknown): Sender | undefined };
}

export class Journal {
  private readonly database: Database;
  private readonly options: JournalOptions;
  constructor(database: Database, options: JournalOptions) {
    this.database = database;
    this.options = options;
  }

  /** Returns false when the event was already journaled (a redelivery). */
  async add(message: JournalMessage): Promise<boolean> {
    const inserted = await this.database.db
      .insert(journal)
      .values({ platform: message.platform, eventId: message.eventId, conversationKey: conversationKeyOf(message), message })
      .onConflictDoNothing()
      .returning({ id: journal.id });
    return inserted.length > 0;
  }

  /**
   * Journals a message only if its sender's account is known, in one statement: most messages
   * come from known people, and the check and the write would otherwise be two round trips.
   * `known: false` means nothing was written (Admission decides about strangers); `fresh: false`
   * that the event was already journaled.
   *
   * With `claim` (the caller holds a free turn slot), a message whose conversation has nothing
   * unfinished is stored already claimed, with its sender as a claim reads it, and comes back as
   * `claimed`: its turn starts without a claim statement. Only for a journal no other process
   * writes (the embedded database, where statements also run one at a time): two processes could
   * each see the conversation idle and both claim.
   */
  async addFromKnown(message: JournalMessage, options: { claim?: boolean } = {}): Promise<{ known: boolean; fresh: boolean; claimed?: JournalEntry }> {
    const conversationKey = conversationKeyOf(message);
    const { senderOf } = this.options;
    const claim = Boolean(options.claim);
    const sender = claim && senderOf ? sql`, ${senderOf.sql(sql`${message.platform}`, sql`${message.sender.accountId}`)} as sender` : sql``;
    const [row] = await this.database.rows<{ known: boolean; fresh: boolean; claimed_id: number | string | null; received_at: string | Date | null; sender?: unknown }>(sql`
      with known as (
        select exists (select 1 from identities where platform = ${message.platform} and account_id = ${message.sender.accountId}) as known),
      claimable as (
        select ${claim}::boolean and not exists (
          select 1 from inbound_journal o where o.conversation_key = ${conversationKey} and o.status in ('pending', 'processing')) as yes),
      added as (
        insert into inbound_journal (platform, event_id, conversation_key, message, status, attempts, lease_until)
        select ${message.platform}, ${message.eventId}, ${conversationKey}, ${JSON.stringify(message)}::jsonb,
          case when claimable.yes then 'processing' else 'pending' end, claimable.yes::int,
          case when claimable.yes then now() + ${`${this.options.leaseMs} milliseconds`}::interval end
        from claimable
        where (select known from known)
        on conflict do nothing
        returning id, status, received_at)
      select (select known from known) as known, exists (select 1 from added) as fresh,
        (select id from added where status = 'processing') as claimed_id, (select received_at from added) as received_at${sender}`);
    const claimedId = row?.claimed_id;
    if (claimedId === null || claimedId === undefined) return { known: Boolean(row?.known), fresh: Boolean(row?.fresh) };
    const claimed: JournalEntry = {
      id: Number(claimedId),
      message,
      conversationKey,
      attempts: 1,
      apologized: false,
      previewMessageId: null,
      receivedAt: new Date(row!.received_at!),
      sender: senderOf ? (senderOf.parse(row!.sender) ?? null) : undefined,
    };
    return { known: true, fresh: true, claimed };
    return { known: Boolean(row?.known), fresh: Boolean(row?.fresh) };
  }

  /**
   * Claims up to `limit` ready entries, each the oldest of a conversation nobody is working on, in
   * one statement (the worker asks for as many as it has free slots). One conversation is answered
   * in order and never by two workers at once: an entry waits while any older entry of its
   * conversation is unfinished — pending, or processing even with a lapsed lease, which is itself
   * claimable first — so one claim never takes two entries of a conversation. SKIP LOCKED lets
   * several gateway processes share the table.
   */
  async claim(platforms: string[], limit = 1): Promise<JournalEntry[]> {
    if (platforms.length === 0 || limit < 1) return [];
    const lease = `${this.options.leaseMs} milliseconds`;
    const platformList = sql.join(platforms.map((p) => sql`${p}`), sql`, `);
    const { senderOf } = this.options;
    const sender = senderOf ? sql`, ${senderOf.sql(sql`inbound_journal.platform`, sql`inbound_journal.message->'sender'->>'accountId'`)} as sender` : sql``;
    const rows = await this.database.rows<{ id: number; message: JournalMessage; conversation_key: string; attempts: number; apologized: boolean; preview_message_id: string | null; received_at: string | Date; sender?: unknown }>(sql`
      update inbound_journal set status = 'processing', attempts = attempts + 1, lease_until = now() + ${lease}::interval, claimed_by = ${this.options.processId ?? null}::int
      where id = any(array(
        select j.id from inbound_journal j
        where j.platform in (${platformList})
          and ((j.status = 'pending' and j.next_attempt_at <= now()) or (j.status = 'processing' and j.lease_until < now()))
          and not exists (
            select 1 from inbound_journal o
            where o.conversation_key = j.conversation_key and o.id < j.id and o.status in ('pending', 'processing'))
          and not exists (
            select 1 from inbound_journal p
            where p.conversation_key = j.conversation_key and p.id <> j.id and p.status = 'processing' and p.lease_until >= now())
        order by j.id
        limit ${limit}
        for update skip locked))
      returning id, message, conversation_key, attempts, apologized, preview_message_id, received_at${sender}`);
    return rows
      .map((row) => ({
        id: Number(row.id),
        message: typeof row.message === 'string' ? JSON.parse(row.message) : row.message,
        conversationKey: row.conversation_key,
        attempts: row.attempts,
        apologized: row.apologized,
        previewMessageId: row.preview_message_id,
        receivedAt: new Date(row.received_at),
        sender: senderOf ? (senderOf.parse(row.sender) ?? null) : undefined,
      }))
      .sort((a, b) => a.id - b.id);
  }

  /** Keeps a long turn's claim alive. */
  async renew(id: number): Promise<void> {
    await this.database.rows(sql`update inbound_journal set lease_until = now() + ${`${this.options.leaseMs} milliseconds`}::interval where id = ${id} and status = 'processing'`);
  }

  /** Hands a claim back, due at once (the turn was lost to a database failure). */
  async release(id: number): Promise<void> {
    await this.database.rows(sql`update inbound_journal set status = 'pending', lease_until = null, next_attempt_at = now() where id = ${id} and status = 'processing'`);
  }

  /**
   * Makes messages waiting for a retry due now (all of them, or one conversation's), oldest first
   * as always; returns how many. Used when the model answers again.
   */
  async retryWaitingNow(conversationKey?: string): Promise<number> {
    const rows = await this.database.rows<{ id: number }>(sql`
      update inbound_journal set next_attempt_at = now()
      where status = 'pending' and next_attempt_at > now() ${conversationKey === undefined ? sql`` : sql`and conversation_key = ${conversationKey}`}
      returning id`);
    return rows.length;
  }

  async setPreview(id: number, previewMessageId: string): Promise<void> {
    await this.database.db.update(journal).set({ previewMessageId }).where(eq(journal.id, id));
  }

  /**
   * Ends the leases of claims whose process is gone (PostgreSQL): its liveness lock died with its
   * connection, so its turns are taken over now rather than when their lease runs out.
   */
  async releaseDeadClaims(): Promise<number> {
    const rows = await this.database.rows<{ id: number }>(sql`
      update inbound_journal set lease_until = now() - interval '1 millisecond'
      where status = 'processing' and lease_until >= now() and claimed_by is not null
        and claimed_by::bigint not in (
          select l.objid::bigint from pg_locks l
          where l.locktype = 'advisory' and l.granted and l.objsubid = 2 and l.classid::bigint = ${PROCESS_LOCKS}
            and l.database = (select oid from pg_database where datname = current_database()))
      returning id`);
    return rows.length;
  }

  /** After a process restart on the embedded database nobody else can hold a lease: release all. */
  async releaseAllClaims(): Promise<number> {
    const rows = await this.database.db.update(journal).set({ status: 'pending', leaseUntil: null }).where(eq(journal.status, 'processing')).returning({ id: journal.id });
    return rows.length;
  }

  /** Is anything ready to be claimed, or being worked on (idle checks for tests and shutdown)? */
  async hasDue(): Promise<boolean> {
    const rows = await this.database.rows<{ due: boolean }>(
      sql`select exists (select 1 from inbound_journal where (status = 'pending' and next_attempt_at <= now()) or status = 'processing') as due`,
    );
    return Boolean(rows[0]?.due);
  }

  async pendingCount(): Promise<number> {
    const [row] = await this.database.rows<{ n: number }>(sql`select count(*)::int as n from inbound_journal where status in ('pending', 'processing')`);
    return Number(row?.n ?? 0);
  }

  /**
   * Forgets settled entries once redeliveries can no longer arrive. Ignored group chatter goes
   * after a day, the rest after a month; history and memory do not depend on these rows.
   */
  async prune(): Promise<number> {
    const rows = await this.database.rows<{ id: number }>(sql`
      delete from inbound_journal
      where (status = 'ignored' and received_at < now() - interval '1 day')
         or (status in ('done', 'refused', 'limited', 'failed') and received_at < now() - interval '30 days')
      returning id`);
    return rows.length;
  }

  /**
   * Settles a claimed entry and stores its replies (outbox rows) and the history it adds in one
   * statement, atomic without the round trips of a transaction. Only the claim that is still
   * current settles: if the entry was taken over meanwhile (its attempts moved on), nothing is
   * written. A history line already stored for this entry (a retried question) is kept as it was.
   *
   * With `leaseFirstReply`, the first reply is stored already claimed for this process when
   * nothing else of the conversation waits to be sent, and comes back as `claimed`: sending it
   * then takes no claim statement of its own. Otherwise the outbox claims it as any other row.
   * `conversationWaits` says whether a later message of the conversation is due (the turn kept
   * it waiting): only then does the turn's end need a claim for it.
   */
  async finish(
    claim: { id: number; attempts: number; conversationKey: string },
    outcome: Outcome,
    extra: { retryAt?: Date; error?: string; apologized?: boolean; leaseFirstReply?: NewReplyLease },
    replies: OutboxRow[],
    history: HistoryRow[] = [],
  ): Promise<Settled> {
    const finished = outcome !== 'retry';
    const status = finished ? outcome : 'pending';
    const lease = extra.leaseFirstReply;
    const rows = await this.database.rows<{ id: number; claimed: Record<string, unknown> | string | null; waits: boolean }>(sql`
      with settled as (
        update inbound_journal set
          status = ${status}, outcome = ${outcome}, lease_until = null, last_error = ${extra.error ?? null},
          next_attempt_at = coalesce(${extra.retryAt?.toISOString() ?? null}::timestamptz, next_attempt_at),
          apologized = apologized or ${Boolean(extra.apologized)}::boolean,
          finished_at = case when ${finished}::boolean then now() else finished_at end,
          -- Chatter that was not for Hearth, a stranger's refused message and one over the rate
          -- limit are kept only as a dedupe key, never as text.
          message = case when ${outcome === 'ignored' || outcome === 'refused' || outcome === 'limited'}::boolean then message - 'text' - 'attachments' else message end
        where id = ${claim.id} and status = 'processing' and attempts = ${claim.attempts}
        returning id),
      leased as (
        select ${lease !== undefined}::boolean and not exists (
          select 1 from outbox o where o.conversation_key = ${claim.conversationKey} and o.status = 'pending') as first),
      replies as (
        insert into outbox (journal_id, platform, conversation_key, conversation, kind, seq, text, reply_to_message_id, addressee, edit_message_id, attempts, next_attempt_at)
        select r.journal_id, r.platform, r.conversation_key, r.conversation, r.kind, r.seq, r.text, r.reply_to_message_id, r.addressee, r.edit_message_id,
          case when r.seq = 0 and leased.first then 1 else 0 end,
          case when r.seq = 0 and leased.first then ${lease?.until.toISOString() ?? null}::timestamptz else coalesce(${lease?.now.toISOString() ?? null}::timestamptz, now()) end
        from jsonb_to_recordset(${JSON.stringify(replies.map(snakeCase))}::jsonb) as r(journal_id bigint, platform text, conversation_key text, conversation jsonb, kind text, seq int, text text, reply_to_message_id text, addressee jsonb, edit_message_id text), leased
        where exists (select 1 from settled)
        order by r.seq
        on conflict do nothing
        returning ${CLAIMED_COLUMNS}),
      history as (
        insert into messages (conversation_key, person_id, role, author_name, content, note, journal_id)
        select h.conversation_key, h.person_id, h.role, h.author_name, h.content, h.note, h.journal_id
        from jsonb_to_recordset(${JSON.stringify(history.map(historyRecord))}::jsonb) as h(seq int, conversation_key text, person_id text, role text, author_name text, content text, note text, journal_id bigint)
        where exists (select 1 from settled)
        order by h.seq
        on conflict do nothing)
      select id,
        (select row_to_json(c) from replies c where c.attempts = 1) as claimed,
        exists (
          select 1 from inbound_journal w
          where w.conversation_key = ${claim.conversationKey} and w.id <> ${claim.id} and w.status = 'pending' and w.next_attempt_at <= now()) as waits
      from settled`);
    const row = rows[0];
    if (!row) return { settled: false, conversationWaits: true };
    const claimed = typeof row.claimed === 'string' ? JSON.parse(row.claimed) : row.claimed;
    return { settled: true, claimed: claimed ? claimedRowOf(claimed) : undefined, conversationWaits: Boolean(row.waits) };
  }
}

function snakeCase(row: OutboxRow) {
  return {
    journal_id: row.journalId,
    platform: row.platform,
    conversation_key: row.conversationKey,
    conversation: row.conversation,
    kind: row.kind,
    seq: row.seq,
    text: row.text,
    reply_to_message_id: row.replyToMessageId,
    addressee: row.addressee,
    edit_message_id: row.editMessageId,
  };
}

function historyRecord(row: HistoryRow, seq: number) {
  return { seq, conversation_key: row.conversationKey, person_id: row.personId, role: row.role, author_name: row.authorName, content: row.content, note: row.note ?? null, journal_id: row.journalId };
}
