/**
 * Optional automatic memory (setting memory.autoExtract, off by default): after an answered
 * turn, the model is asked in one short non-streamed call which durable facts about the sender
 * are worth keeping. Never for guests; never when the message looks like it holds a secret; each
 * fact goes through the same checks as /remember (length, secrets, duplicates).
 */
import type { Logger } from '../log.ts';
import type { TurnContext } from '../pipeline/context.ts';
import type { OneShotChat } from './one-shot.ts';
import { secretIn } from './secrets.ts';
import { MemoryRejectedError, type MemoryStore } from './store.ts';

const MAX_FACTS = 3;

export function extractionRequest(input: { personName: string; agentName: string; text: string; answer: string }): Array<{ role: 'system' | 'user'; content: string }> {
  return [
    {
      role: 'system',
      content:
        `List facts about ${input.personName} from this exchange worth remembering for months: preferences, people, important dates, plans. ` +
        `One fact per line, each a full sentence naming ${input.personName}. Never include passwords, codes, keys or other secrets. ` +
        'If nothing is worth remembering, reply NONE.',
    },
    { role: 'user', content: `${input.personName}: ${input.text}\n${input.agentName}: ${input.answer}` },
  ];
}

export function parseFacts(reply: string): string[] {
  if (/^\s*none\b/i.test(reply)) return [];
  return reply
    .split('\n')
    .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim())
    .filter((line) => line.length >= 8 && !/^none\b/i.test(line))
    .slice(0, MAX_FACTS);
}

export interface ExtractorOptions {
  store: MemoryStore;
  chat: OneShotChat;
  agentName: string;
  log: Logger;
}

/** Returns the ids of the memories stored for this turn. */
export async function extractFacts(options: ExtractorOptions, turn: TurnContext, answer: string): Promise<number[]> {
  const person = turn.person;
  if (!person || person.role === 'guest') return [];
  if (secretIn(turn.message.text)) {
    turn.log.debug('no automatic memories from a message that looks like it holds a secret');
    return [];
  }
  const personName = turn.message.sender.displayName || person.displayName;
  const reply = await options.chat(extractionRequest({ personName, agentName: options.agentName, text: turn.message.text, answer }));
  const stored: number[] = [];
  for (const fact of parseFacts(reply)) {
    try {
      const { memory, duplicate } = await options.store.add({ text: fact, scope: 'person', personId: person.id, createdBy: person.id, sourceJournalId: turn.journalId });
      if (!duplicate) stored.push(memory.id);
    } catch (error) {
      if (!(error instanceof MemoryRejectedError)) throw error;
      turn.log.debug({ reason: error.message }, 'an extracted fact was not stored');
    }
  }
  if (stored.length) turn.log.info({ memories: stored }, 'remembered facts from this conversation automatically');
  return stored;
}
