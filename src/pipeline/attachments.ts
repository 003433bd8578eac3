/**
 * The model cannot see files yet; a photo or document without a caption still reaches it as a
 * short note, so it can say so instead of answering an empty message.
 */
import type { InboundMessage } from '../core/index.ts';

export function withAttachmentNote<M extends InboundMessage>(message: M): M {
  if (message.text.trim() || message.attachments.length === 0) return message;
  const described = message.attachments.map((a) => `${a.kind}${a.name ? ` "${a.name}"` : ''}`).join(', ');
  return { ...message, text: `[sent ${described} without text; you cannot open attachments yet]` };
}
