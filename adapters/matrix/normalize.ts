/**
 * Matrix room event → InboundMessage. Decides what is a message for Hearth at all (not the
 * bot's own events, not notices from other bots, not redactions, state or edits), whether the bot
 * is addressed (intentional mentions, pills, its name in the body, a reply to its event) and
 * what text the model sees.
 */
import type { Attachment, InboundMessage } from '../../src/core/index.ts';
import { isRecord, relation, stringField, type Content, type RawEvent } from './wire.ts';

export type Classification = { kind: 'message' } | { kind: 'encrypted' } | { kind: 'skip'; reason: string };

export function classify(event: RawEvent, ownUserId: string): Classification {
  if (event.state_key !== undefined) return { kind: 'skip', reason: 'state event' };
  if (event.sender === ownUserId) return { kind: 'skip', reason: 'own event' };
  if (event.type === 'm.room.redaction') return { kind: 'skip', reason: 'redaction' };
  if (event.unsigned?.redacted_because !== undefined) return { kind: 'skip', reason: 'redacted' };
  if (event.type === 'm.room.encrypted') return { kind: 'encrypted' };
  if (event.type !== 'm.room.message' && event.type !== 'm.sticker') return { kind: 'skip', reason: `event type ${event.type}` };
  // m.notice is how bots speak (spec: "must never be responded to automatically"); answering
  // them is how two bots end up in an endless conversation.
  if (stringField(event.content, 'msgtype') === 'm.notice') return { kind: 'skip', reason: 'notice' };
  // An edit repeats the message; the original was already handled (and answered) once.
  if (relation(event.content).relType === 'm.replace' || event.content['m.new_content'] !== undefined) return { kind: 'skip', reason: 'edit' };
  return { kind: 'message' };
}

/** The event this one points back to: an explicit reply, or in a thread the latest/root event. */
export function replyTarget(content: Content): { eventId: string; explicit: boolean } | undefined {
  const rel = relation(content);
  if (rel.replyTo && !rel.isFallingBack) return { eventId: rel.replyTo, explicit: true };
  if (rel.relType === 'm.thread') {
    // Threads set is_falling_back on their implicit in_reply_to (the thread's latest event):
    // not a reply, but continuing a thread right after the bot spoke is talking to the bot.
    const eventId = rel.replyTo ?? rel.eventId;
    if (eventId) return { eventId, explicit: false };
  }
  return undefined;
}

export function threadRoot(content: Content): string | undefined {
  const rel = relation(content);
  return rel.relType === 'm.thread' ? rel.eventId : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function nameInText(text: string, name: string): boolean {
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escapeRegExp(name)}($|[^\\p{L}\\p{N}_])`, 'iu').test(text);
}

/** Pills are links to https://matrix.to/#/@user:server (or matrix:u/user:server) in the HTML. */
function pillsIn(formattedBody: string): string[] {
  const users: string[] = [];
  for (const match of formattedBody.matchAll(/href\s*=\s*["']([^"']+)["']/gi)) {
    let href = match[1]!;
    try {
      href = decodeURIComponent(href);
    } catch {
      /* keep as is */
    }
    const matrixTo = /matrix\.to\/#\/(@[^/?\s]+)/.exec(href);
    if (matrixTo) users.push(matrixTo[1]!);
    const matrixUri = /^matrix:u\/([^/?\s]+)/.exec(href);
    if (matrixUri) users.push(`@${matrixUri[1]}`);
  }
  return users;
}

/**
 * Intentional mentions (`m.mentions`, spec v1.7) are authoritative when present, together with
 * pills; only messages from older clients (no `m.mentions`) fall back to finding the bot's user id
 * or display name in the body, as the legacy push rules did.
 */
export function addressesBot(content: Content, ownUserId: string, botNames: string[]): boolean {
  const mentions = content['m.mentions'];
  if (isRecord(mentions) && Array.isArray(mentions.user_ids) && mentions.user_ids.includes(ownUserId)) return true;
  const formatted = stringField(content, 'formatted_body');
  if (formatted && pillsIn(formatted).includes(ownUserId)) return true;
  if (isRecord(mentions)) return false;
  const body = stringField(content, 'body') ?? '';
  if (body.includes(ownUserId)) return true;
  return botNames.some((name) => name.length >= 2 && nameInText(body, name));
}

/** Reply fallbacks (deprecated in v1.13, still sent by older clients) quote the parent as "> " lines. */
function stripReplyFallback(body: string): string {
  if (!body.startsWith('>')) return body;
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('>')) i++;
  if (i < lines.length && lines[i]!.trim() === '') i++;
  return lines.slice(i).join('\n');
}

function stripBotMention(body: string, ownUserId: string, botNames: string[]): string {
  let text = body.split(ownUserId).join(' ');
  for (const name of botNames) {
    text = text.replace(new RegExp(`^\\s*@?${escapeRegExp(name)}\\s*[:,]?\\s+`, 'iu'), '');
  }
  return text.replace(/^\s*[:,]\s*/, '').replace(/[ \t]{2,}/g, ' ').trim();
}

const ATTACHMENT_KINDS: Record<string, Attachment['kind']> = {
  'm.image': 'image',
  'm.file': 'file',
  'm.audio': 'audio',
  'm.video': 'video',
};

function attachmentOf(event: RawEvent): Attachment | undefined {
  const content = event.content;
  const msgtype = stringField(content, 'msgtype');
  const kind = event.type === 'm.sticker' ? 'sticker' : msgtype ? ATTACHMENT_KINDS[msgtype] : undefined;
  if (!kind) return undefined;
  const ref = stringField(content, 'url') ?? stringField(content.file, 'url');
  if (!ref) return undefined;
  const attachment: Attachment = { kind, ref };
  const name = stringField(content, 'filename') ?? stringField(content, 'body');
  if (name) attachment.name = name;
  const mimeType = stringField(content.info, 'mimetype');
  if (mimeType) attachment.mimeType = mimeType;
  const size = isRecord(content.info) ? content.info.size : undefined;
  if (typeof size === 'number') attachment.sizeBytes = size;
  return attachment;
}

export interface RoomFacts {
  roomId: string;
  ownUserId: string;
  /** Names the bot goes by in this room (its display name there, its global one). */
  botNames: string[];
  kind: 'direct' | 'group';
  title?: string;
  senderName?: string;
  /** Whether the event replyTarget() named was sent by the bot (resolved by the caller). */
  replyToBot: boolean;
}

export function normalizeMessage(event: RawEvent, facts: RoomFacts): InboundMessage | undefined {
  const content = event.content;
  const attachment = attachmentOf(event);
  let body = stringField(content, 'body') ?? '';
  if (attachment) {
    // Since v1.10 `body` is a caption when `filename` is present and differs; otherwise a file name.
    const filename = stringField(content, 'filename');
    body = filename && filename !== body ? body : '';
  }
  const target = replyTarget(content);
  if (target?.explicit) body = stripReplyFallback(body);
  const text = stripBotMention(body, facts.ownUserId, facts.botNames);
  if (!text && !attachment) return undefined;

  const conversation: InboundMessage['conversation'] = { id: facts.roomId, kind: facts.kind };
  const thread = threadRoot(content);
  if (thread) conversation.threadId = thread;
  if (facts.title) conversation.title = facts.title;

  const message: InboundMessage = {
    platform: 'matrix',
    eventId: event.event_id!,
    messageId: event.event_id!,
    conversation,
    sender: { accountId: event.sender, displayName: facts.senderName ?? event.sender.replace(/^@([^:]+).*$/, '$1') },
    text,
    mentionsBot: addressesBot(content, facts.ownUserId, facts.botNames) || (target !== undefined && facts.replyToBot),
    attachments: attachment ? [attachment] : [],
    sentAt: new Date(event.origin_server_ts ?? Date.now()).toISOString(),
  };
  if (target && (target.explicit || facts.replyToBot)) message.replyTo = { messageId: target.eventId, toBot: facts.replyToBot };
  return message;
}
