/**
 * Who is speaking. Platform account → person; a turn the clock started carries its person in its
 * origin. An unknown account is offered to the features (pairing, open rooms, /link) and
 * otherwise refused politely (in a group only when it addressed the bot, so strangers chatting
 * among themselves are left alone). The reply to a stranger is throttled per account; the audit
 * record is counted per account and window (AuditLog.recordRepeated).
 */
import type { People } from '../../access/people.ts';
import type { Person } from '../../access/types.ts';
import type { AuditLog } from '../../audit/audit.ts';
import type { Stage, TurnContext } from '../context.ts';

export interface IdentifyOptions {
  people: People;
  audit: AuditLog;
  agentName: string;
  /** Minimum gap between two refusal replies to the same account. */
  refusalReplyGapMs?: number;
  /** Features that may take over an unknown sender; the first that does not return undefined wins. */
  unknownSender?: Array<(turn: TurnContext) => Promise<'handled' | Person | undefined>>;
}

function adopt(turn: TurnContext, person: Person): void {
  turn.person = person;
  if (person.timeZone) turn.timeZone = person.timeZone;
}

export function identify(options: IdentifyOptions): Stage {
  const lastRefusalReply = new Map<string, number>();
  const gap = options.refusalReplyGapMs ?? 10 * 60_000;
  return async (turn, next) => {
    const { platform, sender, conversation, mentionsBot, replyTo } = turn.message;
    if (turn.origin) {
      const person = await options.people.get(turn.origin.personId);
      if (!person) {
        // The person was removed after the job was made: nobody to act for.
        turn.log.info({ job: turn.origin.jobId }, 'a scheduled turn outlived its person; dropped');
        turn.outcome = 'ignored';
        return;
      }
      adopt(turn, person);
      return next();
    }
    // Read with the claim when the journal could; asked now otherwise.
    const known = turn.claimedSender !== undefined ? (turn.claimedSender ?? undefined) : await options.people.findSender({ platform, accountId: sender.accountId });
    if (known) {
      adopt(turn, known.person);
      turn.grants = known.grants;
      return next();
    }
    const addressed = conversation.kind === 'direct' || mentionsBot || Boolean(replyTo?.toBot);
    if (!addressed) {
      turn.outcome = 'ignored';
      return;
    }
    for (const handle of options.unknownSender ?? []) {
      const result = await handle(turn);
      if (result === 'handled') return;
      if (result) {
        adopt(turn, result);
        return next();
      }
    }
    turn.outcome = 'refused';
    // One record per account and window (with a count of repeats): a stranger cannot fill the log.
    await options.audit.recordRepeated(`${platform}:${sender.accountId}`, {
      kind: 'sender.refused',
      platform,
      subject: `${platform}:${sender.accountId}`,
      detail: { displayName: sender.displayName, conversation: conversation.id, conversationKind: conversation.kind, reason: 'unknown account' },
    });
    const account = `${platform}:${sender.accountId}`;
    const now = Date.now();
    if (now - (lastRefusalReply.get(account) ?? 0) >= gap) {
      lastRefusalReply.set(account, now);
      turn.replies.push({
        kind: 'notice',
        text: `Hi ${sender.displayName}! I'm ${options.agentName}, a private assistant, and I don't know you yet. If you know the person who runs me, ask them to add your account (${account}).`,
      });
    }
  };
}
