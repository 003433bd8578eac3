/**
 * The inbound journal: every event is stored before anything else happens to it. Redelivered
 * events hit the unique (platform, event_id) key and are dropped; claimed events carry a lease so
 * that one whose process died is picked up again.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { InboundMessage } from '../core/index.ts';
import type { Database } from '../db/client.ts';
import { journal } from '../db/schema.ts';
import { conversationKeyOf, type Outcome } from './context.ts';

export interface JournalEntry {
  id: number;
  message: InboundMessage;
  conversationKey: string;
  attempts: number;
  apologized: boolean;
  previewMessageId: string | null;
  receivedAt: Date;
}

export interface JournalOptions {
  /** How long a claim holds before another worker may take the entry over. */
  leaseMs: number;
}

export class Journal {
  private readonly database: Database;
  private readonly options: JournalOptions;
  constructor(database: Database, options: JournalOptions) {
    this.database = database;
    this.options = options;
  }

  /** Returns false when the event was already journaled (a redelivery). */
  async add(message: InboundMessage): Promise<boolean> {
    const inserted = await this.database.db
      .insert(journal)
      .values({ platform: message.platform, eventId: message.eventId, conversationKey: conversationKeyOf(message), message })
      .onConflictDoNothing()
      .returning({ id: journal.id });
    return inserted.length > 0;
  }

  /**
   * Claims the oldest ready entry of a conversation nobody is working on. One conversation is
   * answered in order and never by two workers at once; SKIP LOCKED lets several gateway
   * processes share the table.
   */
  async claim(platforms: string[]): Promise<JournalEntry | undefined> {
    if (platforms.length === 0) return undefined;
    const lease = `${this.options.leaseMs} milliseconds`;
    const platformList = sql.join(platforms.map((p) => sql`${p}`), sql`, `);
    const rows = await this.database.rows<{ id: number; message: InboundMessage; conversation_key: string; attempts: number; apologized: boolean; preview_message_id: string | null; received_at: string | Date }>(sql`
      update inbound_journal set status = 'processing', attempts = attempts + 1, lease_until = now() + ${lease}::interval
      where id = (
        select j.id from inbound_journal j
        where j.platform in (${platformList})
          and ((j.status = 'pending' and j.next_attempt_at <= now()) or (j.status = 'processing' and j.lease_until < now()))
          and not exists (
            select 1 from inbound_journal o
            where o.conversation_key = j.conversation_key and o.id < j.id
              and (o.status = 'pending' or (o.status = 'processing' and o.lease_until >= now())))
          and not exists (
            select 1 from inbound_journal p
            where p.conversation_key = j.conversation_key and p.id <> j.id and p.status = 'processing' and p.lease_until >= now())
        order by j.id
        limit 1
        for update skip locked)
      returning id, message, conversation_key, attempts, apologized, preview_message_id, received_at`);
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: Number(row.id),
      message: typeof row.message === 'string' ? JSON.parse(row.message) : row.message,
      conversationKey: row.conversation_key,
      attempts: row.attempts,
      apologized: row.apologized,
      previewMessageId: row.preview_message_id,
      receivedAt: new Date(row.received_at),
    };
  }

  /** Keeps a long turn's claim alive. */
  async renew(id: number): Promise<void> {
    await this.database.rows(sql`update inbound_journal set lease_until = now() + ${`${this.options.leaseMs} milliseconds`}::interval where id = ${id} and status = 'processing'`);
  }

  async setPreview(id: number, previewMessageId: string): Promise<void> {
    await this.database.db.update(journal).set({ previewMessageId }).where(eq(journal.id, id));
  }

  /** After a process restart on the embedded database nobody else can hold a lease: release all. */
  async releaseAllClaims(): Promise<number> {
    const rows = await this.database.db.update(journal).set({ status: 'pending', leaseUntil: null }).where(eq(journal.status, 'processing')).returning({ id: journal.id });
    return rows.length;
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

  /** The statement that settles an entry; run inside the transaction that writes its replies. */
  static settle(id: number, outcome: Outcome, extra: { retryAt?: Date; error?: string; apologized?: boolean }) {
    const finished = outcome !== 'retry';
    return {
      where: and(eq(journal.id, id), eq(journal.status, 'processing')),
      set: {
        status: finished ? (outcome === 'done' ? 'done' : outcome) : 'pending',
        outcome,
        leaseUntil: null,
        lastError: extra.error ?? null,
        ...(extra.retryAt ? { nextAttemptAt: extra.retryAt } : {}),
        ...(extra.apologized ? { apologized: true } : {}),
        ...(finished ? { finishedAt: new Date() } : {}),
        // Group chatter that was not for Hearth is kept only as a dedupe key, never as text.
        ...(outcome === 'ignored' ? { message: sql`${journal.message} - 'text' - 'attachments'` } : {}),
      },
    };
  }
}
