/**
 * Model tokens per person per UTC day (prompt + answer, as Ollama counts them). On a CPU box
 * tokens are time: a guest who pastes a novel every minute would starve everyone else.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { tokenUsage } from './schema.ts';
import type { Role } from './policy.ts';

export const today = (now = new Date()): string => now.toISOString().slice(0, 10);

export class TokenUsage {
  private readonly db: Db;
  private readonly limits: Record<Role, number>;
  constructor(db: Db, limits: { tokensPerDay: number; guestTokensPerDay: number }) {
    this.db = db;
    // The owner runs the machine; their own use is never capped.
    this.limits = { owner: 0, member: limits.tokensPerDay, guest: limits.guestTokensPerDay };
  }

  /** 0 means no limit. */
  limitFor(role: Role): number {
    return this.limits[role];
  }

  async add(personId: string, tokens: number): Promise<void> {
    if (!(tokens > 0)) return;
    await this.db
      .insert(tokenUsage)
      .values({ personId, day: today(), tokens })
      .onConflictDoUpdate({ target: [tokenUsage.personId, tokenUsage.day], set: { tokens: sql`${tokenUsage.tokens} + ${tokens}` } });
  }

  async usedToday(personId: string): Promise<number> {
    const [row] = await this.db.select({ tokens: tokenUsage.tokens }).from(tokenUsage).where(and(eq(tokenUsage.personId, personId), eq(tokenUsage.day, today())));
    return Number(row?.tokens ?? 0);
  }
}
