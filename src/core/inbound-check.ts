/**
 * The last gate before the journal: every field of an adapter's InboundMessage has the type the
 * pipeline relies on, and every string is storable. A platform payload with a number where text
 * belongs fails here with the field's name (a poison event), instead of crashing a later stage.
 */
import type { Attachment, InboundMessage } from './message.ts';
import { storableJson } from './storable.ts';

/** An event that cannot become a message: retrying will not help, so it is set aside. */
export class MalformedEventError extends Error {
  override name = 'MalformedEventError';
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`malformed event: ${field} ${problem}`);
    this.field = field;
  }
}

const ATTACHMENT_KINDS = new Set<Attachment['kind']>(['image', 'file', 'audio', 'video', 'sticker', 'other']);

type Shape = Record<string, unknown>;

function object(value: unknown, field: string): Shape {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedEventError(field, `should be an object, not ${kindOf(value)}`);
  return value as Shape;
}

function string(holder: Shape, key: string, path: string, options: { optional?: boolean; nonEmpty?: boolean } = {}): void {
  const value = holder[key];
  if (value === undefined && options.optional) return;
  if (typeof value !== 'string') throw new MalformedEventError(`${path}.${key}`, `should be text, not ${kindOf(value)}`);
  if (options.nonEmpty && value.length === 0) throw new MalformedEventError(`${path}.${key}`, 'is empty');
}

function boolean(holder: Shape, key: string, path: string, optional = false): void {
  const value = holder[key];
  if (value === undefined && optional) return;
  if (typeof value !== 'boolean') throw new MalformedEventError(`${path}.${key}`, `should be true or false, not ${kindOf(value)}`);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Checks the shape and returns a storable copy; throws MalformedEventError naming the bad field. */
export function checkedInbound(value: unknown): InboundMessage {
  const message = object(value, 'message');
  for (const key of ['platform', 'eventId', 'messageId']) string(message, key, 'message', { nonEmpty: true });
  string(message, 'text', 'message');
  string(message, 'sentAt', 'message');
  boolean(message, 'mentionsBot', 'message');
  const conversation = object(message.conversation, 'message.conversation');
  string(conversation, 'id', 'message.conversation', { nonEmpty: true });
  if (conversation.kind !== 'direct' && conversation.kind !== 'group') throw new MalformedEventError('message.conversation.kind', 'should be "direct" or "group"');
  string(conversation, 'threadId', 'message.conversation', { optional: true });
  string(conversation, 'title', 'message.conversation', { optional: true });
  const sender = object(message.sender, 'message.sender');
  string(sender, 'accountId', 'message.sender', { nonEmpty: true });
  string(sender, 'displayName', 'message.sender');
  if (message.replyTo !== undefined) {
    const replyTo = object(message.replyTo, 'message.replyTo');
    string(replyTo, 'messageId', 'message.replyTo');
    boolean(replyTo, 'toBot', 'message.replyTo');
  }
  if (!Array.isArray(message.attachments)) throw new MalformedEventError('message.attachments', `should be a list, not ${kindOf(message.attachments)}`);
  message.attachments.forEach((item, index) => {
    const path = `message.attachments[${index}]`;
    const attachment = object(item, path);
    if (!ATTACHMENT_KINDS.has(attachment.kind as Attachment['kind'])) throw new MalformedEventError(`${path}.kind`, 'is not a known attachment kind');
    string(attachment, 'ref', path);
    string(attachment, 'name', path, { optional: true });
    string(attachment, 'mimeType', path, { optional: true });
    if (attachment.sizeBytes !== undefined && typeof attachment.sizeBytes !== 'number') throw new MalformedEventError(`${path}.sizeBytes`, `should be a number, not ${kindOf(attachment.sizeBytes)}`);
  });
  return storableJson(message as unknown as InboundMessage);
}
