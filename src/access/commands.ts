/**
 * Chat commands for people and permissions: /link, /approve, /deny, /grant, /revoke, /whois.
 * Each checks the sender (turn.person) itself; what the message says about who is asking counts
 * for nothing.
 */
import type { ChatCommand } from '../pipeline/stages/commands.ts';
import type { TurnContext } from '../pipeline/context.ts';
import type { Access } from './access.ts';
import type { Actor } from './grants.ts';
import { isDecision } from './policy.ts';
import { accountLabel, type Person } from './people.ts';

const actorOf = (turn: TurnContext): Actor => ({ person: turn.person!, via: 'chat' });

async function target(access: Access, turn: TurnContext, reference: string): Promise<Person | undefined> {
  return ['me', 'myself'].includes(reference.trim().toLowerCase()) ? turn.person : access.people.find(reference);
}

/** `/approve CODE` and `/deny CODE` answer a tool request or a pairing request, whichever has that code. */
async function answer(access: Access, turn: TurnContext, args: string, approve: boolean): Promise<string> {
  const actor = actorOf(turn);
  const code = args.trim();
  if (!code) {
    const pending = await access.approvals.pendingIn(turn.conversationKey);
    if (pending.length === 1 && (await access.approvals.isApprover(actor.person))) return access.approvals.decide(actor, pending[0]!, approve);
    return `Send /${approve ? 'approve' : 'deny'} followed by the code.`;
  }
  const request = await access.approvals.pendingByCode(code);
  if (request) return access.approvals.decide(actor, request, approve);
  if (!(await access.approvals.isApprover(actor.person))) return 'Only the owner can let people in.';
  const throttled = await access.pairing.throttled(actor);
  if (throttled) return throttled;
  const pairing = await access.pairing.findPending(code);
  if (!pairing) return access.pairing.wrongCode(actor, approve ? 'approve' : 'deny');
  return approve ? (await access.pairing.approve(actor, pairing)).text : access.pairing.deny(actor, pairing);
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
    `Model tokens today: ${used}${limit ? ` of ${limit}` : ''}`,
    'Tools:',
    ...tools.map((line) => `• ${line}`),
  ].join('\n');
}

export function accessCommands(access: Access): ChatCommand[] {
  return [
    {
      name: 'link',
      description: 'Join your accounts on several platforms',
      async run(turn, args) {
        if (args) return access.linking.redeem({ platform: turn.message.platform, accountId: turn.message.sender.accountId }, turn.person, args);
        if (turn.message.conversation.kind !== 'direct') return 'Send /link to me in a direct chat: a link code must stay private.';
        return access.linking.createCode(turn.person!, turn.message.platform);
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
      name: 'whois',
      description: 'Who someone is and what they may do',
      async run(turn, args) {
        const asker = turn.person!;
        const person = args ? await target(access, turn, args) : asker;
        if (!person) return `I don't know who "${args}" is.`;
        if (person.id !== asker.id && asker.role !== 'owner') return 'Only the owner can look up other people.';
        return describePerson(access, person);
      },
    },
  ];
}
