/**
 * The record of poison events (see src/core/set-aside.ts): what was set aside, from where, why.
 * Read by `hearth doctor`; counted in /metrics by the gateway.
 */
import { desc, sql } from 'drizzle-orm';
import { excerptOf, storableText, type SetAsideEvent } from '../core/index.ts';
import type { Db } from '../db/client.ts';
import { poisonEvents } from '../db/schema.ts';

export interface PoisonRecord {
  platform: string;
  eventId: string;
  error: string;
  excerpt: string;
  attempts: number;
  firstAt: Date;
  lastAt: Date;
}

const EXCERPT_CHARS = 500;

export class PoisonLog {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async record(platform: string, event: SetAsideEvent): Promise<void> {
    const row = {
      platform: storableText(platform).slice(0, 100),
      eventId: storableText(event.eventId).slice(0, 200),
      error: storableText(event.error).slice(0, 1_000),
      excerpt: excerptOf(event.payload, EXCERPT_CHARS),
    };
    await this.db
      .insert(poisonEvents)
      .values(row)
      .onConflictDoUpdate({ target: [poisonEvents.platform, poisonEvents.eventId], set: { attempts: sql`${poisonEvents.attempts} + 1`, lastAt: new Date(), error: row.error } });
  }

  /** Newest first. */
  async recent(limit = 5): Promise<PoisonRecord[]> {
    return this.db.select().from(poisonEvents).orderBy(desc(poisonEvents.lastAt)).limit(limit);
  }

  async count(sinceDays = 30): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(poisonEvents).where(sql`${poisonEvents.lastAt} > now() - make_interval(days => ${sinceDays})`);
    return Number(row?.n ?? 0);
  }

  async prune(days = 30): Promise<number> {
    const removed = await this.db.delete(poisonEvents).where(sql`${poisonEvents.lastAt} < now() - make_interval(days => ${days})`).returning({ id: poisonEvents.id });
    return removed.length;
  }
}
