import type { ConversationRef, InboundMessage } from '../../src/core/index.ts';

export const CONSOLE_PLATFORM = 'console';

/** The console is one direct conversation with the owner at the keyboard. */
export const CONSOLE_CONVERSATION: ConversationRef = { id: 'terminal', kind: 'direct', title: 'console' };
export const CONSOLE_ACCOUNT = 'owner';

export function normalizeConsoleLine(line: string, eventId: string): InboundMessage {
  return {
    platform: CONSOLE_PLATFORM,
    eventId,
    messageId: eventId,
    conversation: CONSOLE_CONVERSATION,
    sender: { accountId: CONSOLE_ACCOUNT, displayName: 'Owner' },
    text: line.trim(),
    mentionsBot: true,
    attachments: [],
    sentAt: new Date().toISOString(),
  };
}
