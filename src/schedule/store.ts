/**
 * The reminders table as the rest of src/schedule sees it: adding one within the person's
 * limit, listing and cancelling what a person set or receives, and the two halves of firing:
 * `claimDue` (FOR UPDATE SKIP LOCKED, then a lease with a token of its own) and `settle`, which
 * only succeeds for the holder of that lease, inside the caller's transaction.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import type { ConversationRef, Sender } from '../core/index.ts';
import type { Database, Db } from '../db/client.ts';
import type { Repeat } from './when.ts';
import { reminders } from './schema.ts';

export type ReminderKind = 'reminder' | 'routine';
export type Reminder = typeof reminders.$inferSelect & { repeat: Repeat | null; conversation: ConversationRef | null; addressee: Sender | null; kind: ReminderKind };

export interface NewReminder {
  kind: ReminderKind;
  personId: string;
  createdBy: string;
  text: string;
  timeZone: string;
  repeat?: Repeat;
  nextAt: Date;
  platform?: string;
  conversation?: ConversationRef;
  replyToMessageId?: string;
  addressee?: Sender;
}

export class LimitReachedError extends Error {
  override name = 'LimitReachedError';
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export class ReminderStore {
  private readonly database: Database;
  constructor(database: Database) {
    this.database = database;
  }

  /** Adds one unless the person already has `limit` active ones (checked under a per-person lock). */
  async add(input: NewReminder, limit: number): Promise<Reminder> {
    return this.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`reminders:${input.personId}`}))`);
      const [count] = await tx.select({ n: sql<number>`count(*)::int` }).from(reminders).where(and(eq(reminders.personId, input.personId), eq(reminders.status, 'active')));
      if (Number(count?.n ?? 0) >= limit) throw new LimitReachedError(limit === 0 ? 'guests cannot set reminders here' : `there are already ${limit} active reminders and routines for this person, the most allowed; cancel one with /cancel first`);
      const [row] = await tx
        .insert(reminders)
        .values({ ...input, repeat: input.repeat ?? null, platform: input.platform ?? null, conversation: input.conversation ?? null, replyToMessageId: input.replyToMessageId ?? null, addressee: input.addressee ?? null })
        .returning();
      return row as Reminder;
    });
  }

  /** Active ones the person receives or set for someone else, soonest first: the numbering of /reminders and /cancel. */
  async activeFor(personId: string): Promise<Reminder[]> {
    const rows = await this.database.db
      .select()
      .from(reminders)
      .where(and(eq(reminders.status, 'active'), or(eq(reminders.personId, personId), eq(reminders.createdBy, personId))))
      .orderBy(asc(reminders.nextAt), asc(reminders.id));
    return rows as Reminder[];
  }

  /** Every active one, soonest first (the web admin's reminders page). */
  async active(limit = 500): Promise<Reminder[]> {
    const rows = await this.database.db.select().from(reminders).where(eq(reminders.status, 'active')).orderBy(asc(reminders.nextAt), asc(reminders.id)).limit(limit);
    return rows as Reminder[];
  }

  async get(id: number): Promise<Reminder | undefined> {
    const [row] = await this.database.db.select().from(reminders).where(eq(reminders.id, id));
    return row as Reminder | undefined;
  }

  async cancel(id: number): Promise<boolean> {
    const rows = await this.database.db.update(reminders).set({ status: 'cancelled', leaseUntil: null, leaseToken: null }).where(and(eq(reminders.id, id), eq(reminders.status, 'active'))).returning({ id: reminders.id });
    return rows.length > 0;
  }

  /**
   * Claims up to `limit` due ones for `leaseMs`. SKIP LOCKED lets several gateways claim at
   * once without waiting on each other or taking the same row; a lease that ran out (its
   * holder died) makes the row claimable again.
   */
  async claimDue(now: Date, leaseMs: number, limit = 20): Promise<Array<Reminder & { leaseToken: string }>> {
    const token = randomUUID();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const ids = await this.database.db.transaction(async (tx) => {
      const due = await tx
        .select({ id: reminders.id })
        .from(reminders)
        .where(and(eq(reminders.status, 'active'), sql`${reminders.nextAt} <= ${now.toISOString()}::timestamptz`, sql`(${reminders.leaseUntil} is null or ${reminders.leaseUntil} <= ${now.toISOString()}::timestamptz)`))
        .orderBy(asc(reminders.nextAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (due.length === 0) return [];
      const claimed = await tx.update(reminders).set({ leaseUntil, leaseToken: token }).where(inArray(reminders.id, due.map((d) => d.id))).returning({ id: reminders.id });
      return claimed.map((c) => c.id);
    });
    if (ids.length === 0) return [];
    const rows = await this.database.db.select().from(reminders).where(inArray(reminders.id, ids)).orderBy(asc(reminders.nextAt));
    return rows.filter((r) => r.leaseToken === token) as Array<Reminder & { leaseToken: string }>;
  }

  /** Gives a claimed row back to be tried again at `retryAt` (the platform could not be reached). */
  async release(reminder: Reminder & { leaseToken: string }, retryAt: Date): Promise<void> {
    await this.database.db.update(reminders).set({ leaseUntil: retryAt }).where(and(eq(reminders.id, reminder.id), eq(reminders.leaseToken, reminder.leaseToken)));
  }

  /**
   * Records a firing inside `tx`: the next time (or the final status) and the end of the lease.
   * False when the lease was lost meanwhile; the caller must then roll back what it queued.
   */
  async settle(tx: Tx, reminder: Reminder & { leaseToken: string }, outcome: { nextAt?: Date; status: 'active' | 'done' | 'missed'; firedAt: Date }): Promise<boolean> {
    const rows = await tx
      .update(reminders)
      .set({ status: outcome.status, nextAt: outcome.nextAt ?? reminder.nextAt, leaseUntil: null, leaseToken: null, fired: sql`${reminders.fired} + 1`, lastFiredAt: outcome.firedAt })
      .where(and(eq(reminders.id, reminder.id), eq(reminders.leaseToken, reminder.leaseToken), eq(reminders.status, 'active')))
      .returning({ id: reminders.id });
    return rows.length > 0;
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.db.transaction(work);
  }
}
