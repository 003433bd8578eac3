/**
 * The system prompt. Kept deliberately short: on a CPU, Ollama processes prompts at tens of
 * tokens per second, so every sentence here costs every person seconds on every turn.
 */
import type { Message } from 'ollama';
import type { HistoryTurn } from '../memory/history.ts';

export interface PromptInput {
  agentName: string;
  persona?: string;
  personName: string;
  platform: string;
  group: boolean;
  now: Date;
  history: HistoryTurn[];
  /** A summary of the turns older than `history` (long conversations), written by the model. */
  summary?: string;
  text: string;
  /** Extra context blocks (recalled memories, summaries) added by later stages. */
  context?: string[];
}

export function systemPrompt(input: Omit<PromptInput, 'history' | 'text'>): string {
  const lines = [
    `You are ${input.agentName}, a helpful assistant for a household, chatting on ${input.platform} with ${input.personName}.`,
    input.persona,
    `Now: ${input.now.toISOString().slice(0, 16).replace('T', ' ')} UTC. Be brief and plain; light markdown is fine. Use a tool only when it helps.`,
    input.group ? 'This is a group chat: user messages start with the sender\'s name.' : undefined,
    input.summary ? `Summary of the earlier conversation (older messages are not shown):\n${input.summary}` : undefined,
    ...(input.context ?? []),
  ];
  return lines.filter(Boolean).join('\n');
}

export function buildMessages(input: PromptInput): Message[] {
  const speak = (turn: { content: string; authorName: string | null }) => (input.group && turn.authorName ? `${turn.authorName}: ${turn.content}` : turn.content);
  return [
    { role: 'system', content: systemPrompt(input) },
    ...input.history.map((turn) => ({ role: turn.role, content: turn.role === 'user' ? speak(turn) : turn.content })),
    { role: 'user', content: speak({ content: input.text, authorName: input.personName }) },
  ];
}
