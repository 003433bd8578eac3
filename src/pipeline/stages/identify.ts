/**
 * Who is speaking. Platform account → person; an unknown account is refused politely (in a
 * group only when it addressed the bot, so strangers chatting among themselves are left alone).
 * The reply to a stranger is throttled per account; the audit record is not.
 */
import type { People } from '../../access/people.ts';
import type { AuditLog } from '../../audit/audit.ts';
import type { Stage } from '../context.ts';

export interface IdentifyOptions {
  people: People;
  audit: AuditLog;
  agentName: string;
  /** Minimum gap between two refusal replies to the same account. */
  refusalReplyGapMs?: number;
  /** Features that may take over an unknown sender (pairing, open rooms); first to return true wins. */
  unknownSender?: Array<(turn: Parameters<Stage>[0]) => Promise<boolean>>;
}

export function identify(options: IdentifyOptions): Stage {
  const lastRefusalReply = new Map<string, number>();
  const gap = options.refusalReplyGapMs ?? 10 * 60_000;
  return async (turn, next) => {
    const { platform, sender, conversation, mentionsBot, replyTo } = turn.message;
    const person = await options.people.findByAccount({ platform, accountId: sender.accountId });
    if (person) {
      turn.person = person;
      return next();
    }
    const addressed = conversation.kind === 'direct' || mentionsBot || Boolean(replyTo?.toBot);
    if (!addressed) {
      turn.outcome = 'ignored';
      return;
    }
    for (const handle of options.unknownSender ?? []) {
      if (await handle(turn)) return turn.person ? next() : undefined;
    }
    turn.outcome = 'refused';
    await options.audit.record({
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
