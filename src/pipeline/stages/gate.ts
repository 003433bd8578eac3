/** Direct chats: answer everything. Groups: only when addressed (mention, or a reply to the bot). */
import type { Stage } from '../context.ts';

export function gate(): Stage {
  return async (turn, next) => {
    const { conversation, mentionsBot, replyTo } = turn.message;
    if (conversation.kind === 'direct' || mentionsBot || replyTo?.toBot) return next();
    turn.outcome = 'ignored';
  };
}
