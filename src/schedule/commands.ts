/**
 * /remind, /routine, /reminders and /cancel: the same on every platform and in `hearth chat`.
 * Owners may name someone else first (`/remind @anna at 17:00 take the cake out`, or by name);
 * everyone else sets reminders for themselves (the model's remind_person tool, which asks by
 * default, is how a member reaches someone else).
 */
import type { Person } from '../access/types.ts';
import { senderOf, type TurnContext } from '../pipeline/context.ts';
import type { FeatureDependencies } from '../pipeline/feature.ts';
import type { ChatCommand } from '../pipeline/stages/commands.ts';
import { localTime } from '../time/format.ts';
import { setReminder } from './create.ts';
import type { Reminder, ReminderKind, ReminderStore } from './store.ts';

export function scheduleCommands(deps: FeatureDependencies, store: ReminderStore): ChatCommand[] {
  const set = (kind: ReminderKind) => async (turn: TurnContext, args: string) => {
    const sender = senderOf(turn);
    if (!args) return kind === 'routine' ? 'Usage: /routine <when> <instruction>, e.g. /routine every weekday at 7:30 tell me what is on today' : 'Usage: /remind <when> <what>, e.g. /remind tomorrow at 8 call the dentist, or /remind every monday 9:00 put the bins out';
    const addressed = await recipientOf(deps, sender, args);
    if (typeof addressed === 'string') return addressed;
    const { message } = turn;
    return setReminder(deps, store, {
      kind,
      sender,
      recipient: addressed.person,
      text: addressed.rest,
      platform: message.platform,
      conversation: message.conversation,
      messageId: message.messageId,
      account: message.sender,
    });
  };
  return [
    { name: 'remind', description: 'Remind you (or, for owners, someone else) at a time: /remind tomorrow at 8 call the dentist', run: set('reminder') },
    { name: 'routine', description: 'Have me do something at set times: /routine every weekday at 7:30 tell me what is on today', run: set('routine') },
    { name: 'reminders', description: 'Your reminders and routines, numbered', run: async (turn) => listReminders(deps, store, senderOf(turn)) },
    { name: 'cancel', description: 'Cancel a reminder or routine: /cancel <number from /reminders>', run: async (turn, args) => cancelReminder(deps, store, senderOf(turn), args, turn.message.platform) },
  ];
}

/** "@anna …", or an owner's "anna …", names the recipient; anything else is for the sender. */
async function recipientOf(deps: FeatureDependencies, sender: Person, args: string): Promise<{ person: Person; rest: string } | string> {
  const [first = '', ...others] = args.split(/\s+/);
  const rest = others.join(' ');
  if (/^me$/i.test(first)) return { person: sender, rest };
  const named = first.startsWith('@') || sender.role === 'owner' ? await deps.people.find(first) : undefined;
  if (first.startsWith('@') && !named) return `I don't know anyone called ${first}. /people lists who I know.`;
  if (!named || named.id === sender.id) return { person: sender, rest: named ? rest : args };
  if (sender.role !== 'owner') return 'Only owners can set reminders for someone else with a command. Ask me in your own words and I will check whether you may.';
  return { person: named, rest };
}

export async function listReminders(deps: FeatureDependencies, store: ReminderStore, person: Person): Promise<string> {
  const active = await store.activeFor(person.id);
  if (active.length === 0) return 'You have no reminders or routines. Set one with /remind in 10 minutes check the oven, or /routine every weekday at 7:30 tell me what is on today.';
  const names = new Map<string, string>();
  for (const r of active) if (r.personId !== person.id && !names.has(r.personId)) names.set(r.personId, (await deps.people.get(r.personId))?.displayName ?? r.personId);
  const lines = active.map((r, index) => `${index + 1}. ${describe(r, person, names)}`);
  return ['Your reminders and routines:', ...lines, 'Cancel one with /cancel <number>.'].join('\n');
}

function describe(r: Reminder, person: Person, names: Map<string, string>): string {
  const whom = r.personId === person.id ? '' : `for ${names.get(r.personId)}, `;
  const when = r.repeat ? `${r.repeat.description}, next ${localTime(r.nextAt, r.timeZone)}` : localTime(r.nextAt, r.timeZone);
  return `${r.kind === 'routine' ? 'routine, ' : ''}${whom}${when}: ${r.text}`;
}

export async function cancelReminder(deps: FeatureDependencies, store: ReminderStore, person: Person, args: string, platform: string): Promise<string> {
  const number = Number(args.trim().replace(/^#/, ''));
  if (!Number.isInteger(number) || number < 1) return 'Which one? Send /cancel <number>, with the number /reminders shows.';
  const active = await store.activeFor(person.id);
  const target = active[number - 1];
  if (!target) return active.length ? `There is no number ${number}; /reminders shows ${active.length === 1 ? 'one' : `numbers 1 to ${active.length}`}.` : 'You have no reminders or routines to cancel.';
  if (!(await cancelAndRecord(deps, store, target, { actorPersonId: person.id, platform, via: 'chat' }))) return `Number ${number} has just fired or was cancelled already; see /reminders.`;
  return `Cancelled ${target.kind === 'routine' ? 'the routine' : 'the reminder'}: ${target.text}`;
}

/** Cancels one and audits who did it and how (chat, web); false when it had just fired or was cancelled already. */
export async function cancelAndRecord(deps: Pick<FeatureDependencies, 'audit'>, store: ReminderStore, target: Reminder, by: { actorPersonId: string; platform: string; via: 'chat' | 'web' }): Promise<boolean> {
  if (!(await store.cancel(target.id))) return false;
  await deps.audit.record({ kind: `${target.kind}.cancelled`, actorPersonId: by.actorPersonId, platform: by.platform, subject: String(target.id), detail: { for: target.personId, via: by.via } });
  return true;
}
