/**
 * Chat commands for people and permissions: /claim, /link, /approve, /deny, /grant, /revoke, /whois.
 * Each checks the sender (turn.person) itself; what the message says about who is asking counts
 * for nothing.
 */
import type { ChatCommand } from '../pipeline/stages/commands.ts';
import { senderOf, type TurnContext } from '../pipeline/context.ts';
import type { Access } from './access.ts';
import type { Actor } from './grants.ts';
import { isDecision } from './policy.ts';
import { accountLabel, type Person } from './people.ts';
import { canonicalTimeZone } from '../time/zone.ts';
import { localTime } from '../time/format.ts';

const actorOf = (turn: TurnContext): Actor => ({ person: senderOf(turn), via: 'chat' });

async function target(access: Access, turn: TurnContext, reference: string): Promise<Person | undefined> {
  return ['me', 'myself'].includes(reference.trim().toLowerCase()) ? turn.person : access.people.find(reference);
}

/**
 * `/approve CODE` and `/deny CODE` answer a tool request or a pairing request, whichever has that
 * code. Someone who may not answer requests gets one refusal whatever the code (live, used or
 * made up), before any lookup, so the reply says nothing about which codes exist; their attempts
 * are throttled and audited per sender. A request answered already says so, without counting as
 * a wrong pairing code.
 */
async function answer(access: Access, turn: TurnContext, args: string, approve: boolean): Promise<string> {
  const actor = actorOf(turn);
  const code = args.trim();
  const approver = await access.approvals.isApprover(actor.person);
  if (!code) {
    const pending = approver ? await access.approvals.pendingIn(turn.conversationKey) : [];
    if (pending.length === 1) return access.approvals.decide(actor, pending[0]!, approve);
    return `Send /${approve ? 'approve' : 'deny'} followed by the code.`;
  }
  if (!approver) return access.approvals.refuseNonApprover(actor, turn.message.platform);
  const request = await access.approvals.pendingByCode(code);
  if (request) return access.approvals.decide(actor, request, approve);
  const throttled = await access.pairing.throttled(actor);
  if (throttled) return throttled;
  const pairing = await access.pairing.findPending(code);
  if (pairing) return approve ? (await access.pairing.approve(actor, pairing)).text : access.pairing.deny(actor, pairing);
  const decided = (await access.approvals.byCode(code)) ?? (await access.pairing.decidedByCode(code));
  if (decided) return `That request was already answered (${decided.status === 'pending' ? 'expired' : decided.status}).`;
  return access.pairing.wrongCode(actor, approve ? 'approve' : 'deny');
}

export async function describePerson(access: Access, person: Person): Promise<string> {
  const details = await access.people.details(person.id);
  const accounts = (details?.accounts ?? []).map((a) => accountLabel(a)).join(', ') || 'none';
  const table = await access.grants.table(person);
  const tools = table.map((t) => `${t.tool} (${t.risk}): ${t.decision}${t.source === 'grant' ? ' — own grant' : ''}`);
  const limit = access.usage.limitFor(person.role);
  const used = await access.usage.usedToday(person.id);
  return [
    `${person.displayName} — ${access.roleName(person)} (${person.role}), id ${person.id}`,
    `Accounts: ${accounts}`,
    `Time zone: ${person.timeZone ?? `${access.config.timezone} (the household's)`}`,
    `Model tokens today: ${used}${limit ? ` of ${limit}` : ''}`,
    'Tools:',
    ...tools.map((line) => `• ${line}`),
  ].join('\n');
}

export function accessCommands(access: Access): ChatCommand[] {
  return [
    {
      name: 'claim',
      description: 'Become the owner with the code `hearth setup` shows',
      run: (turn, args) => access.claims.redeem({ platform: turn.message.platform, accountId: turn.message.sender.accountId, displayName: turn.message.sender.displayName }, turn.person, args),
    },
    {
      name: 'link',
      description: 'Join your accounts on several platforms',
      async run(turn, args) {
        if (args) return access.linking.redeem({ platform: turn.message.platform, accountId: turn.message.sender.accountId }, turn.person, args);
        if (turn.message.conversation.kind !== 'direct') return 'Send /link to me in a direct chat: a link code must stay private.';
        return access.linking.createCode(senderOf(turn), turn.message.platform);
      },
    },
    { name: 'approve', description: 'Approve a request (owner)', run: (turn, args) => answer(access, turn, args, true) },
    { name: 'deny', description: 'Refuse a request (owner)', run: (turn, args) => answer(access, turn, args, false) },
    {
      name: 'grant',
      description: 'Set what someone may do with a tool: /grant PERSON TOOL allow|ask|deny',
      async run(turn, args) {
        const words = args.split(/\s+/).filter(Boolean);
        const decision = words.pop()?.toLowerCase();
        const tool = words.pop();
        if (!tool || !decision || !isDecision(decision) || words.length === 0) return 'Usage: /grant PERSON TOOL allow|ask|deny (PERSON: a name, platform:account, or "me").';
        const person = await target(access, turn, words.join(' '));
        if (!person) return `I don't know who "${words.join(' ')}" is. Try their platform:account.`;
        return (await access.grants.set(actorOf(turn), person, tool, decision)).text;
      },
    },
    {
      name: 'revoke',
      description: "Return someone's tool to their role default: /revoke PERSON TOOL",
      async run(turn, args) {
        const words = args.split(/\s+/).filter(Boolean);
        const tool = words.pop();
        if (!tool || words.length === 0) return 'Usage: /revoke PERSON TOOL';
        const person = await target(access, turn, words.join(' '));
        if (!person) return `I don't know who "${words.join(' ')}" is. Try their platform:account.`;
        return (await access.grants.revoke(actorOf(turn), person, tool)).text;
      },
    },
    {
      name: 'timezone',
      description: 'Your time zone for times and reminders: /timezone Europe/Berlin',
      async run(turn, args) {
        const person = senderOf(turn);
        const household = access.config.timezone;
        if (!args) {
          const zone = person.timeZone ?? household;
          return `Your time zone is ${zone}${person.timeZone ? '' : " (the household's)"}; it's ${localTime(turn.now, zone)}. Change it with /timezone followed by a zone name such as Europe/Berlin, or /timezone default.`;
        }
        const wanted = args.trim();
        const zone = /^(default|reset|household)$/i.test(wanted) ? null : canonicalTimeZone(wanted);
        if (zone === undefined) return `"${wanted.slice(0, 64)}" is not a time zone I know. Use a zone name such as Europe/Berlin, America/New_York or Asia/Tokyo.`;
        await access.people.setTimeZone(person.id, zone);
        await access.audit.record({ kind: 'person.time_zone', actorPersonId: person.id, platform: turn.message.platform, subject: person.id, detail: { before: person.timeZone ?? null, after: zone } });
        const effective = zone ?? household;
        return `Done: your time zone is ${effective}${zone ? '' : " (the household's)"}. It's ${localTime(turn.now, effective)} there.`;
      },
    },
    {
      name: 'whois',
      description: 'Who someone is and what they may do',
      async run(turn, args) {
        const asker = senderOf(turn);
        const person = args ? await target(access, turn, args) : asker;
        if (!person) return `I don't know who "${args}" is.`;
        if (person.id !== asker.id && asker.role !== 'owner') return 'Only the owner can look up other people.';
        return describePerson(access, person);
      },
    },
  ];
}
