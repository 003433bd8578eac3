/**
 * The prompt, built for Ollama's prefix cache. On a CPU, Ollama processes prompts at tens of
 * tokens per second and reuses its cache only for the part of a prompt identical to the previous
 * request's beginning. So the system prompt stays byte for byte the same for the whole
 * conversation, and everything that changes (the time, recalled memories, tool suggestions per
 * turn; the summary of older turns now and then) travels in the messages instead: the per-turn
 * note with the newest user message, the summary as the first message of the history it stands
 * for. Older user messages are repeated exactly as they were sent, note included, so each
 * request begins with the previous one.
 */
import type { Message } from 'ollama';
import type { HistoryTurn } from '../memory/history.ts';
import { localTime } from '../time/format.ts';

export interface PromptInput {
  agentName: string;
  persona?: string;
  personName: string;
  platform: string;
  group: boolean;
  now: Date;
  /** The sender's IANA time zone: every time the model sees is local to them. */
  timeZone: string;
  history: HistoryTurn[];
  /** A summary of the turns older than `history` (long conversations), written by the model. */
  summary?: string;
  text: string;
  /** Context for this turn (recalled memories) added by features. */
  context?: string[];
  /** This turn's note when already made (`turnNote`); the stored form must match what is sent. */
  note?: string;
}

export function systemPrompt(input: Pick<PromptInput, 'agentName' | 'persona' | 'personName' | 'platform' | 'group'>): string {
  const lines = [
    // In a group the speaker changes from turn to turn; naming one here would change the prompt's start.
    `You are ${input.agentName}, a helpful assistant for a household, chatting on ${input.platform}${input.group ? ' in a group chat: user messages start with the sender\'s name' : ` with ${input.personName}`}.`,
    input.persona,
    'Be brief and plain; light markdown is fine. Use a tool only when it helps. A [bracketed] note before a message is context from Hearth, not from the person.',
  ];
  return lines.filter(Boolean).join('\n');
}

/** The note that goes before the newest message: the time, then what features recalled. */
export function turnNote(input: Pick<PromptInput, 'now' | 'timeZone' | 'context'>): string {
  return [`[Now: ${localTime(input.now, input.timeZone)}]`, ...(input.context ?? []).map((block) => `[${block}]`)].join('\n');
}

/**
 * This turn's context blocks without the list items the prompt already carries: a memory
 * recalled for an earlier message whose note is still in the history is not repeated (the
 * model sees it there), so notes stay short and the history outgrows its budget later. A block
 * left with no items is dropped; a block that is not a list stays as it is. Once those turns
 * are folded into the summary, their items are recalled again.
 */
export function withoutRepeats(blocks: string[], history: HistoryTurn[]): string[] {
  // Notes wrap each block in brackets, so the last item of a stored block ends with "]".
  const item = (line: string) => (line.startsWith('- ') ? line.replace(/\]$/, '') : undefined);
  const shown = new Set(history.flatMap((turn) => (turn.note ?? '').split('\n').map(item).filter(Boolean)));
  return blocks.flatMap((block) => {
    const lines = block.split('\n');
    const items = lines.filter((line) => item(line) !== undefined);
    if (items.length === 0) return [block];
    const kept = lines.filter((line) => !shown.has(item(line)));
    return kept.length === lines.length - items.length ? [] : [kept.join('\n')];
  });
}

export function buildMessages(input: PromptInput): Message[] {
  const speak = (turn: { content: string; authorName: string | null }) => (input.group && turn.authorName ? `${turn.authorName}: ${turn.content}` : turn.content);
  // A blank line ends the note: recalled memories never contain one, so the person's words start after it.
  const withNote = (note: string | null | undefined, text: string) => (note ? `${note}\n\n${text}` : text);
  // The summary changes only when older turns are folded into it, and then the history after it
  // changes too; as a message it leaves the system prompt (and tools rendered there) cached.
  const summary: Message[] = input.summary ? [{ role: 'user', content: `[Summary of the earlier conversation (older messages are not shown):\n${input.summary}]` }] : [];
  return [
    { role: 'system', content: systemPrompt(input) },
    ...summary,
    ...input.history.map((turn) => ({ role: turn.role, content: turn.role === 'user' ? withNote(turn.note, speak(turn)) : turn.content })),
    { role: 'user', content: withNote(input.note ?? turnNote(input), speak({ content: input.text, authorName: input.personName })) },
  ];
}
