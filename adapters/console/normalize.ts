import type { InboundMessage } from '../../src/core/index.ts';

export const CONSOLE_PLATFORM = 'console';

/** The console is one direct conversation with the owner at the keyboard. */
export function normalizeConsoleLine(line: string, eventId: string): InboundMessage {
  return {
    platform: CONSOLE_PLATFORM,
    eventId,
    messageId: eventId,
    conversation: { id: 'terminal', kind: 'direct', title: 'console' },
    sender: { accountId: 'owner', displayName: 'Owner' },
    text: line.trim(),
    mentionsBot: true,
    attachments: [],
    sentAt: new Date().toISOString(),
  };
}
