/**
 * Conversation history: every answered turn is stored; the model gets the newest turns that fit
 * its context budget. Rows are never rewritten, so `hearth memory export` sees what was said.
 * With summaries enabled (the memory feature does this), turns that no longer fit are folded
 * into a stored running summary instead of silently falling out of the prompt.
 */
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { messages } from '../db/schema.ts';
import type { Logger } from '../log.ts';
import { clampSummary, storeSummary, type StoredSummary, type Summarizer } from './summary.ts';
import { estimateTokens, turnTokens } from './tokens.ts';

export interface HistoryTurn {
  role: 'user' | 'assistant';
  content: string;
  authorName: string | null;
  /** A user message's per-turn note as it was sent then; the prompt repeats it so requests share their prefix. */
  note?: string | null;
}

/** What the prompt carries of a conversation's past: a summary of old turns, then recent turns. */
export interface PromptHistory {
  summary?: string;
  turns: HistoryTurn[];
}

export interface SummaryOptions {
  summarizer: Summarizer;
  /** Tokens of history (summary included) the prompt may carry. */
  budgetTokens: number;
  /** Tokens one summarizer call may read (about half the model's context). */
  inputTokens: number;
  /** Counts summaries made or failed (metrics). */
  onSummary?: (outcome: 'ok' | 'failed') => void;
}

/** Unsummarized messages read per turn; older ones (a conversation from before summaries existed) are left out and logged. */
const MAX_UNSUMMARIZED = 300;
/** At most this many summarizer calls in one turn; each costs seconds on a CPU. */
const MAX_SUMMARY_CALLS = 3;
/** Conversations whose history window is remembered; the oldest is forgotten first. */
const MAX_REMEMBERED_WINDOWS = 1_000;

export class History {
  private readonly db: Db;
  private summaries: SummaryOptions | undefined;
  /** Per conversation, the first message of the history window `recent()` sends (see there). */
  private readonly windowStarts = new Map<string, number>();
  constructor(db: Db) {
    this.db = db;
  }

  /** Turns on running summaries for conversations that outgrow the budget. */
  useSummaries(options: SummaryOptions): void {
    this.summaries = options;
  }

  /**
   * Newest turns before this journal entry whose text fits in `budgetChars`, oldest first.
   *
   * Trimmed in large steps: dropping the oldest turn every turn would change the prompt's
   * beginning every turn and Ollama would reprocess all of it. So the window keeps its first
   * message while the turns from there fit; when they no longer do, it restarts with the newest
   * turns that fit in half the budget (and half of `maxTurns`), and grows from there again.
   * Where each window starts is remembered per conversation in this process (after a restart
   * the first turn starts a new window).
   */
  async recent(conversationKey: string, beforeJournalId: number, budgetChars: number, maxTurns = 40): Promise<HistoryTurn[]> {
    const rows = (
      await this.db
        .select({ id: messages.id, role: messages.role, content: messages.content, authorName: messages.authorName, note: messages.note })
        .from(messages)
        .where(and(eq(messages.conversationKey, conversationKey), lt(messages.journalId, beforeJournalId)))
        .orderBy(desc(messages.id))
        .limit(maxTurns)
    ).reverse();
    const start = this.windowStarts.get(conversationKey);
    const strip = (list: typeof rows): HistoryTurn[] => list.map(({ role, content, authorName, note }) => ({ role, content, authorName, note }) as HistoryTurn);
    const size = (row: (typeof rows)[number]) => row.content.length + (row.note?.length ?? 0);
    const chars = (list: typeof rows) => list.reduce((sum, row) => sum + size(row), 0);
    // The window is whole when its first message is among the rows read (or all rows were read).
    if (start !== undefined && (rows.length < maxTurns || rows[0]!.id <= start)) {
      const window = rows.filter((row) => row.id >= start);
      if (window.length && chars(window) <= budgetChars) return strip(window);
    }
    let first = rows.length;
    let used = 0;
    while (first > 0 && rows.length - first < Math.max(2, Math.floor(maxTurns / 2)) && used + size(rows[first - 1]!) <= budgetChars / 2) used += size(rows[--first]!);
    const window = rows.slice(first);
    if (window.length) this.windowStarts.set(conversationKey, window[0]!.id);
    if (this.windowStarts.size > MAX_REMEMBERED_WINDOWS) this.windowStarts.delete(this.windowStarts.keys().next().value!);
    return strip(window);
  }

  /**
   * History for the prompt of the turn answering `beforeJournalId`. Without summaries this is
   * `recent()`. With them: the stored summary plus every turn after it while that fits the
   * budget; past it, the older turns are folded into an extended summary (stored, logged) and
   * only the newest turns — about half the budget — are sent as they are.
   */
  async forPrompt(conversationKey: string, beforeJournalId: number, fallbackBudgetChars: number, log?: Logger): Promise<PromptHistory> {
    const options = this.summaries;
    if (!options) return { turns: await this.recent(conversationKey, beforeJournalId, fallbackBudgetChars) };
    const { previous, newestFirst } = await this.unsummarized(conversationKey, beforeJournalId);
    const rows = newestFirst.reverse() as Array<HistoryTurn & { id: number }>;
    const summaryTokens = previous ? estimateTokens(previous.content) : 0;
    const total = summaryTokens + rows.reduce((sum, row) => sum + turnTokens(row), 0);
    const strip = (list: typeof rows): HistoryTurn[] => list.map(({ role, content, authorName, note }) => ({ role, content, authorName, note }));
    if (total <= options.budgetTokens) return { summary: previous?.content, turns: strip(rows) };

    // Over budget: keep the newest turns in half the budget, summarize everything before them.
    // The slack (a quarter of the budget) lets the next few turns pass without a model call.
    const keep = newestWithin(rows, Math.floor(options.budgetTokens / 2));
    const fold = rows.slice(0, rows.length - keep.length);
    if (fold.length === 0) return { summary: previous?.content, turns: strip(keep) };
    const maxTokens = Math.max(80, Math.floor(options.budgetTokens / 4));
    try {
      let summary = previous?.content;
      const chunks = chunkTurns(fold, Math.max(200, options.inputTokens - maxTokens - 200));
      const skipped = chunks.slice(0, Math.max(0, chunks.length - MAX_SUMMARY_CALLS));
      for (const chunk of chunks.slice(skipped.length)) {
        summary = clampSummary(await options.summarizer.summarize({ previous: summary, turns: strip(chunk), maxWords: Math.floor(maxTokens * 0.7) }), maxTokens);
      }
      const throughMessageId = fold.at(-1)!.id;
      const messagesCovered = (previous?.messagesCovered ?? 0) + fold.length;
      await storeSummary(this.db, { conversationKey, throughMessageId, content: summary!, messagesCovered, model: options.summarizer.model });
      options.onSummary?.('ok');
      log?.info(
        {
          conversation: conversationKey,
          summarizedMessages: fold.length,
          messagesCovered,
          throughMessageId,
          summaryChars: summary!.length,
          keptMessages: keep.length,
          ...(skipped.length || rows.length === MAX_UNSUMMARIZED ? { leftOutMessages: skipped.flat().length, olderThanWindowLeftOut: rows.length === MAX_UNSUMMARIZED } : {}),
        },
        'older turns of this conversation were summarized',
      );
      return { summary, turns: strip(keep) };
    } catch (error) {
      options.onSummary?.('failed');
      log?.warn({ err: error, conversation: conversationKey, messages: fold.length }, 'could not summarize older turns; sending only the newest turns that fit (will try again next turn)');
      return { summary: previous?.content, turns: strip(newestWithin(rows, options.budgetTokens - summaryTokens)) };
    }
  }

  /**
   * The newest stored summary and the messages after it, newest first, in one round trip (this
   * runs before every turn). Pruning the journal (after a month) clears journal_id; such rows are
   * old turns, still history.
   */
  private async unsummarized(conversationKey: string, beforeJournalId: number): Promise<{ previous?: StoredSummary; newestFirst: Array<HistoryTurn & { id: number }> }> {
    const result = await this.db.execute(sql`
      with latest as (
        select content, through_message_id, messages_covered from conversation_summaries
        where conversation_key = ${conversationKey} order by through_message_id desc limit 1)
      select 'summary' as kind, null::bigint as id, null::text as role, content, null::text as author_name, null::text as note, through_message_id, messages_covered from latest
      union all
      (select 'message', m.id, m.role, m.content, m.author_name, m.note, null, null from messages m
        where m.conversation_key = ${conversationKey}
          and m.id > coalesce((select through_message_id from latest), 0)
          and (m.journal_id is null or m.journal_id < ${beforeJournalId})
        order by m.id desc limit ${MAX_UNSUMMARIZED})`);
    type Row = { kind: string; id: string | number | null; role: string | null; content: string; author_name: string | null; note: string | null; through_message_id: string | number | null; messages_covered: number | null };
    const rows = ((result as unknown as { rows?: Row[] }).rows ?? (result as unknown as Row[])) as Row[];
    const summary = rows.find((r) => r.kind === 'summary');
    return {
      previous: summary ? { content: summary.content, throughMessageId: Number(summary.through_message_id), messagesCovered: Number(summary.messages_covered) } : undefined,
      newestFirst: rows.filter((r) => r.kind === 'message').map((r) => ({ id: Number(r.id), role: r.role as HistoryTurn['role'], content: r.content, authorName: r.author_name, note: r.note })),
    };
  }
}

function newestWithin<T extends HistoryTurn>(rows: T[], budgetTokens: number): T[] {
  let used = 0;
  let start = rows.length;
  while (start > 0) {
    const cost = turnTokens(rows[start - 1]!);
    if (used + cost > budgetTokens) break;
    used += cost;
    start--;
  }
  return rows.slice(start);
}

function chunkTurns<T extends HistoryTurn>(rows: T[], maxTokens: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const row of rows) {
    const cost = turnTokens(row);
    if (current.length && used + cost > maxTokens) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(row);
    used += cost;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
