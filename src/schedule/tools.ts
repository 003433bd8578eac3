/**
 * The model's way to reminders, so "remind me in an hour to check the oven" works in plain
 * words. Who a reminder is for and what may be done come from the turn's sender (the tool
 * context), never from the arguments: `remind` is for the sender (risk write); reminding someone
 * else is `remind_person` (risk external, so members are asked about it by default).
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { InboundMessage } from '../core/index.ts';
import { journal } from '../db/schema.ts';
import type { FeatureDependencies } from '../pipeline/feature.ts';
import { defineTool, type ToolContext, type ToolDefinition } from '../tools/tool.ts';
import { cancelReminder, listReminders } from './commands.ts';
import { setReminder, type Request } from './create.ts';
import type { ReminderKind, ReminderStore } from './store.ts';

const when = z.string().min(1).describe('when, as the person said it ("in 1 hour", "tomorrow at 8", "every weekday at 7:30") or ISO 8601');

export function scheduleTools(deps: FeatureDependencies, store: ReminderStore): ToolDefinition[] {
  /** The message that started the turn: a reminder set in a group answers it, mentioning the sender. */
  const asked = async (context: ToolContext, kind: ReminderKind, text: string, what: string): Promise<Request> => {
    const [row] = context.journalId === undefined ? [] : await deps.database.db.select({ message: journal.message }).from(journal).where(eq(journal.id, context.journalId)).limit(1);
    const message = row?.message as InboundMessage | undefined;
    return { kind, sender: context.person, recipient: context.person, text, what, platform: context.platform, conversation: context.conversation, messageId: message?.messageId, account: message?.sender };
  };
  return [
    defineTool({
      name: 'remind',
      description: 'Remind the person who is speaking at a time, once or repeating.',
      risk: 'write',
      parameters: z.object({ when, text: z.string().min(1).describe('what to remind of'), private: z.boolean().optional().describe('true to send it to their direct chat instead of this group') }),
      async run(args, context) {
        return setReminder(deps, store, { ...(await asked(context, 'reminder', args.when, args.text)), privately: args.private });
      },
    }),
    defineTool({
      name: 'remind_person',
      description: 'Remind another household member at a time; it reaches them in their direct chat.',
      risk: 'external',
      parameters: z.object({ person: z.string().min(1).describe('their name'), when, text: z.string().min(1).describe('what to remind them of') }),
      async run(args, context) {
        const recipient = await deps.people.find(args.person);
        if (!recipient) throw new Error(`I don't know anyone called ${args.person}`);
        return setReminder(deps, store, { ...(await asked(context, 'reminder', args.when, args.text)), recipient });
      },
    }),
    defineTool({
      name: 'routine',
      description: 'Do an instruction for the speaker at set times (e.g. every weekday at 7:30 summarise the day); the answer goes to their direct chat.',
      risk: 'write',
      parameters: z.object({ when, instruction: z.string().min(1).describe('what to do each time, as the person would ask it') }),
      async run(args, context) {
        return setReminder(deps, store, await asked(context, 'routine', args.when, args.instruction));
      },
    }),
    defineTool({
      name: 'list_reminders',
      description: "List the speaker's reminders and routines, numbered.",
      risk: 'read',
      parameters: z.object({}),
      async run(_args, context) {
        return listReminders(deps, store, context.person);
      },
    }),
    defineTool({
      name: 'cancel_reminder',
      description: 'Cancel one of the speaker\'s reminders or routines by its number from list_reminders.',
      risk: 'write',
      parameters: z.object({ number: z.number().int().min(1) }),
      async run(args, context) {
        return cancelReminder(deps, store, context.person, String(args.number), context.platform);
      },
    }),
  ];
}
