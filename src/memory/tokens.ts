/**
 * Token estimates for budgeting what goes to the model. Hearth does not ship each model's
 * tokenizer, so it estimates on the safe side: about 4 characters per token for ASCII text (the
 * usual figure for BPE vocabularies on English and code), and one token per character beyond ASCII
 * (CJK characters and emoji are one or more tokens each; accented letters often split too).
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.codePointAt(0)! < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

/** Per-message overhead of the chat template (role markers, separators). */
export const MESSAGE_OVERHEAD_TOKENS = 4;

export function turnTokens(turn: { content: string; authorName?: string | null; note?: string | null }): number {
  return estimateTokens(turn.content) + (turn.note ? estimateTokens(turn.note) : 0) + (turn.authorName ? estimateTokens(turn.authorName) + 1 : 0) + MESSAGE_OVERHEAD_TOKENS;
}

/**
 * The share of the model's context that conversation history may use, when not configured:
 * what is left after the answer, the system prompt, the tool schemas and recalled memories.
 */
export function defaultHistoryTokens(contextTokens: number, recallBudgetChars: number): number {
  const answer = Math.min(1024, Math.floor(contextTokens / 4));
  const systemAndTools = 700;
  const recall = Math.ceil(recallBudgetChars / 4);
  return Math.max(256, contextTokens - answer - systemAndTools - recall);
}
