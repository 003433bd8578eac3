/**
 * Summaries of long conversations. When a conversation's history no longer fits the model's
 * budget, the oldest turns are folded into a running summary by the model itself: one short,
 * non-streamed /api/chat call, whose result is stored and then extended (never recomputed) as
 * more turns age out. The raw messages stay in the database.
 */
import type { Db } from '../db/client.ts';
import { conversationSummaries } from './schema.ts';
import { estimateTokens } from './tokens.ts';
import type { OneShotChat } from './one-shot.ts';

export interface SummaryTurn {
  role: 'user' | 'assistant';
  content: string;
  authorName: string | null;
}

export interface Summarizer {
  readonly model: string;
  /** Merges `previous` (may be empty) and `turns` into one summary of at most about `maxWords` words. */
  summarize(input: { previous?: string; turns: SummaryTurn[]; maxWords: number }): Promise<string>;
}

const INSTRUCTIONS =
  'You keep a running summary of a chat so an assistant can continue it without the old messages. ' +
  'Merge the previous summary and the new messages into one summary. Keep names, facts, numbers, decisions, promises and open questions; drop small talk. ' +
  'Write plain sentences, no preamble.';

export function summaryRequest(input: { previous?: string; turns: SummaryTurn[]; maxWords: number }): Array<{ role: 'system' | 'user'; content: string }> {
  const lines = input.turns.map((t) => `${t.authorName ?? (t.role === 'user' ? 'User' : 'Assistant')}: ${t.content}`);
  return [
    { role: 'system', content: `${INSTRUCTIONS} At most ${input.maxWords} words.` },
    { role: 'user', content: `Previous summary:\n${input.previous?.trim() || '(none)'}\n\nNew messages:\n${lines.join('\n')}` },
  ];
}

export function createSummarizer(chat: OneShotChat): Summarizer {
  return {
    model: chat.model,
    async summarize(input) {
      const text = await chat(summaryRequest(input));
      if (!text) throw new Error('the model returned an empty summary');
      return text;
    },
  };
}

/** Cuts a summary that ran over its allowance at the last sentence end that fits. */
export function clampSummary(text: string, maxTokens: number): string {
  if (estimateTokens(text) <= maxTokens) return text;
  let cut = text.slice(0, maxTokens * 4);
  while (estimateTokens(cut) > maxTokens) cut = cut.slice(0, Math.floor(cut.length * 0.9));
  const sentenceEnd = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('.\n'));
  return (sentenceEnd > cut.length / 2 ? cut.slice(0, sentenceEnd + 1) : `${cut.trimEnd()}…`).trim();
}

export interface StoredSummary {
  content: string;
  throughMessageId: number;
  messagesCovered: number;
}

export async function storeSummary(db: Db, row: { conversationKey: string; throughMessageId: number; content: string; messagesCovered: number; model: string }): Promise<void> {
  // Two turns of one conversation may summarize at once; the first one's row wins, both are valid.
  await db.insert(conversationSummaries).values(row).onConflictDoNothing();
}

