/**
 * The `remember` tool the model calls when a person asks it to remember something. The person a
 * private memory belongs to comes from the tool context (the sender), never from the model's
 * arguments, so no message can make Hearth file a memory under someone else's name.
 */
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../tools/tool.ts';
import { rememberFor } from './commands.ts';
import type { MemoryStore } from './store.ts';

export function rememberTool(store: MemoryStore): ToolDefinition {
  return defineTool({
    name: 'remember',
    description: 'Save a lasting fact when the person asks you to remember something. Scope: person (private to the speaker, default), room (this chat), household (everyone).',
    risk: 'write',
    // The audit log is append-only; a memory's text kept there would survive /forget.
    secretArguments: ['text'],
    parameters: z.object({
      text: z.string().describe('the fact as one full sentence, naming who it is about'),
      scope: z.enum(['person', 'room', 'household']).optional(),
    }),
    async run({ text, scope }, context) {
      // Errors (empty, too long, a secret, a scope guests may not use) are thrown with a message
      // the model can pass on; the turn loop returns it to the model and audits the outcome.
      return rememberFor(store, {
        turn: { person: context.person, conversationKey: context.conversationKey, journalId: context.journalId },
        text,
        scope: scope ?? 'person',
      });
    },
  });
}
