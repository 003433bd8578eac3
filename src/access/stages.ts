/**
 * The access feature's two pipeline stages. After identify: attach the sender's permissions to
 * the turn, remember where they can be reached privately and the name their account shows
 * (so owners can refer to people by name), and take a plain "yes"/"no" from an
 * approver as the answer to the request waiting in that chat. After limit: the daily model-token
 * budget (commands still work when it is used up; they cost no tokens).
 */
import { senderOf, type Stage } from '../pipeline/context.ts';
import { parseCommand } from '../pipeline/stages/commands.ts';
import type { Access } from './access.ts';

const YES = /^(yes|y|yep|ok|okay|approve|approved|sure)[.!]*$/i;
const NO = /^(no|n|nope|deny|denied)[.!]*$/i;

export function senderStage(access: Access): Stage {
  // Account names as the platform shows them, so "/grant Olive …" finds Olive; written on change only.
  const names = new Map<string, string>();
  return async (turn, next) => {
    const person = senderOf(turn);
    turn.permissions = await access.permissionsFor(person, turn);
    // A routine speaks for the person but was not sent from their account just now.
    if (turn.origin) return next();
    const { platform, conversation, text, sender } = turn.message;
    const account = `${platform}:${sender.accountId}`;
    const renamed = Boolean(sender.displayName) && names.get(account) !== sender.displayName;
    // Both write only on change, and neither depends on the other.
    await Promise.all([
      access.contacts.remember(person.id, platform, conversation),
      renamed ? access.people.rememberDisplayName({ platform, accountId: sender.accountId }, sender.displayName).then(() => void names.set(account, sender.displayName)) : undefined,
    ]);

    const reply = text.trim();
    if (YES.test(reply) || NO.test(reply)) {
      const pending = await access.approvals.pendingIn(turn.conversationKey);
      if (pending.length > 0 && (await access.approvals.isApprover(person))) {
        turn.outcome = 'done';
        if (pending.length > 1) {
          const codes = pending.map((p) => `${p.tool}: /approve ${p.code} or /deny ${p.code}`).join('\n');
          turn.replies.push({ kind: 'reply', text: `Several requests are waiting; answer each with its code:\n${codes}` });
          return;
        }
        turn.replies.push({ kind: 'reply', text: await access.approvals.decide({ person, via: 'chat' }, pending[0]!, YES.test(reply)) });
        return;
      }
    }
    return next();
  };
}

export function budgetStage(access: Access): Stage {
  const told = new Map<string, string>();
  return async (turn, next) => {
    const person = senderOf(turn);
    const limit = access.usage.limitFor(person.role);
    if (!limit || turn.attempt > 1 || parseCommand(turn.message.text)) return next();
    const used = await access.usage.usedToday(person.id);
    if (used < limit) return next();
    turn.outcome = 'limited';
    await access.audit.recordRepeated(`tokens:${person.id}`, { kind: 'rate.limited', actorPersonId: person.id, platform: turn.message.platform, subject: 'tokens-per-day', detail: { limit, used } });
    const day = new Date().toISOString().slice(0, 10);
    if (told.get(person.id) !== day) {
      told.set(person.id, day);
      turn.replies.push({ kind: 'notice', text: "I've done all the thinking I can for you today — my daily share for you is used up. Let's talk again tomorrow (the budget resets at midnight UTC)." });
    }
  };
}
