/**
 * Setting a reminder or routine, the same for a chat command and a tool call: read the time in
 * the zone of the person it is for, check the limit of their role, store it with where it must
 * come back, audit it, and answer with the exact local time (and the next few, for repeating
 * ones) or say plainly what was not understood.
 */
import type { ConversationRef, Sender } from '../core/index.ts';
import type { Person } from '../access/types.ts';
import type { FeatureDependencies } from '../pipeline/feature.ts';
import { localTime } from '../time/format.ts';
import { LimitReachedError, type ReminderKind, type ReminderStore } from './store.ts';
import { parseWhen, upcoming, WhenError } from './when.ts';

export interface Request {
  kind: ReminderKind;
  /** Who asked. */
  sender: Person;
  /** Who it is for (the sender, or someone an owner named). */
  recipient: Person;
  /** "<when> <what>", or just "<when>" with `what` given apart (tools). */
  text: string;
  what?: string;
  /** Where it was asked. */
  platform: string;
  conversation: ConversationRef;
  /** The message that asked, and the sender's account there (to answer it in a group). */
  messageId?: string;
  account?: Sender;
  /** Asked for in private, though asked in a group. */
  privately?: boolean;
}

const PRIVATELY = /\b(?:privately|in private|by dm|in (?:a |my )?dm)\b/i;

export async function setReminder(deps: FeatureDependencies, store: ReminderStore, request: Request): Promise<string> {
  const { sender, recipient, kind } = request;
  const timeZone = recipient.timeZone ?? deps.config.timezone;
  const now = deps.clock.now();
  const privately = request.privately || PRIVATELY.test(request.text);
  let parsed;
  try {
    parsed = parseWhen(request.text.replace(PRIVATELY, ' '), { now, timeZone, minIntervalMs: deps.config.schedule.minIntervalMs });
  } catch (error) {
    if (error instanceof WhenError) return error.message;
    throw error;
  }
  const what = (request.what ?? parsed.rest).trim();
  if (!what) return kind === 'routine' ? 'What should I do then? For example: /routine every weekday at 7:30 tell me what is on today.' : 'What should I remind of? For example: /remind tomorrow at 8 call the dentist.';
  if (what.length > 1000) return 'That is too long for a reminder (at most 1000 characters).';

  const self = recipient.id === sender.id;
  // Routines answer in the person's direct chat; so does a reminder for someone else or one asked for in private.
  const sameChat = self && (request.conversation.kind === 'direct' || (kind === 'reminder' && !privately));
  const limit = recipient.role === 'guest' ? deps.config.schedule.maxActiveGuest : deps.config.schedule.maxActive;
  let reminder;
  try {
    reminder = await store.add(
      {
        kind,
        personId: recipient.id,
        createdBy: sender.id,
        text: what,
        timeZone,
        repeat: parsed.when.kind === 'repeat' ? parsed.when.repeat : undefined,
        nextAt: parsed.when.kind === 'repeat' ? parsed.when.first : parsed.when.at,
        ...(sameChat
          ? {
              platform: request.platform,
              conversation: request.conversation,
              // The person's account here: whom a routine's turn is from, and the one mention a group answer may make.
              addressee: request.account,
              ...(request.conversation.kind === 'group' ? { replyToMessageId: request.messageId } : {}),
            }
          : {}),
      },
      limit,
    );
  } catch (error) {
    if (error instanceof LimitReachedError) return `I can't add that: ${error.message}.`;
    throw error;
  }
  await deps.audit.record({
    kind: `${kind}.created`,
    actorPersonId: sender.id,
    platform: request.platform,
    subject: String(reminder.id),
    detail: { for: recipient.id, next: reminder.nextAt.toISOString(), repeat: parsed.when.kind === 'repeat' ? parsed.when.repeat.description : null },
  });

  const whom = self ? 'you' : recipient.displayName;
  const where = sameChat ? (request.conversation.kind === 'group' ? ' here' : '') : self ? ' in our direct chat' : ` in a direct chat with ${recipient.displayName}`;
  if (parsed.when.kind === 'once') {
    const verb = kind === 'routine' ? `I'll do "${what}" for ${whom}` : `I'll remind ${whom}${where}`;
    return `OK, ${verb} on ${localTime(parsed.when.at, timeZone)}${kind === 'routine' ? '' : `: ${what}`}.`;
  }
  const times = upcoming(parsed.when.repeat, timeZone, parsed.when.first, 3).map((at) => `- ${localTime(at, timeZone)}`);
  const verb = kind === 'routine' ? `I'll do "${what}" for ${whom} ${parsed.when.repeat.description}, answering in ${self ? 'our' : 'their'} direct chat` : `I'll remind ${whom}${where} ${parsed.when.repeat.description}: ${what}`;
  return [`OK, ${verb}. Next times:`, ...times, 'Stop it with /cancel (see /reminders).'].join('\n');
}
