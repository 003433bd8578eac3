/**
 * Conversation history: every answered turn is stored; the model gets the newest turns that fit
 * its context budget. Rows are never rewritten, so `hearth memory export` sees what was said.
 */
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { messages } from '../db/schema.ts';

export interface HistoryTurn {
  role: 'user' | 'assistant';
  content: string;
  authorName: string | null;
}

export interface StoredTurn extends HistoryTurn {
  conversationKey: string;
  personId?: string | null;
  journalId: number;
}

export class History {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** Idempotent per (journal entry, role): a retried turn does not store its question twice. */
  async append(turn: StoredTurn): Promise<void> {
    await this.db
      .insert(messages)
      .values({ conversationKey: turn.conversationKey, personId: turn.personId ?? null, role: turn.role, authorName: turn.authorName, content: turn.content, journalId: turn.journalId })
      .onConflictDoNothing();
  }

  /** Newest turns before this journal entry whose text fits in `budgetChars`, oldest first. */
  async recent(conversationKey: string, beforeJournalId: number, budgetChars: number, maxTurns = 40): Promise<HistoryTurn[]> {
    const rows = await this.db
      .select({ role: messages.role, content: messages.content, authorName: messages.authorName })
      .from(messages)
      .where(and(eq(messages.conversationKey, conversationKey), lt(messages.journalId, beforeJournalId)))
      .orderBy(desc(messages.id))
      .limit(maxTurns);
    const picked: HistoryTurn[] = [];
    let used = 0;
    for (const row of rows) {
      used += row.content.length;
      if (used > budgetChars) break;
      picked.push(row as HistoryTurn);
    }
    return picked.reverse();
  }
}
