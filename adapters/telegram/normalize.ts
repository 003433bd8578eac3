/**
 * Telegram update → InboundMessage. Only `message` updates from people are answered: edits,
 * channel posts, service messages (joins, pins, topic changes) and other bots are dropped here,
 * with the reason, so the pipeline never sees them.
 */
import type { Message, MessageEntity, Update, User } from 'grammy/types';
import type { Attachment, ConversationRef, InboundMessage } from '../../src/core/index.ts';
import { PLATFORM } from './errors.ts';

export interface BotIdentity {
  id: number;
  username: string;
}

export type Normalized = { message: InboundMessage } | { ignored: string };

export function normalizeUpdate(update: Update, bot: BotIdentity): Normalized {
  if (update.edited_message) return { ignored: 'edited message' };
  if (update.channel_post || update.edited_channel_post) return { ignored: 'channel post' };
  const message = update.message;
  if (!message) return { ignored: `update without a message (${Object.keys(update).filter((k) => k !== 'update_id').join(', ') || 'empty'})` };
  if (!isObject(message.chat) || typeof message.chat.id !== 'number' || typeof message.message_id !== 'number') {
    return { ignored: 'malformed message (no chat or message id)' };
  }
  return normalizeMessage(message, bot);
}

export function normalizeMessage(message: Message, bot: BotIdentity): Normalized {
  const from = message.from;
  if (!isObject(from) || typeof from.id !== 'number') return { ignored: 'message without a sender' };
  if (from.id === bot.id) return { ignored: 'own message' };
  // Also covers GroupAnonymousBot (anonymous admins) and Channel_Bot, which post as is_bot users.
  if (from.is_bot) return { ignored: 'message from a bot' };
  // A channel's posts forwarded into its discussion group arrive from "Telegram" (777000).
  if (message.is_automatic_forward || message.sender_chat?.type === 'channel') return { ignored: 'channel post' };
  if (message.chat.type === 'channel') return { ignored: 'channel post' };

  const text = message.text ?? message.caption ?? '';
  const attachments = attachmentsOf(message);
  if (text === '' && attachments.length === 0) return { ignored: 'service message' };

  const entities = (message.text !== undefined ? message.entities : message.caption_entities) ?? [];
  const addressed = readEntities(text, entities, bot);
  if (addressed.commandForOtherBot) return { ignored: 'command for another bot' };

  const replyTo = replyReference(message, bot);
  const conversation = conversationOf(message);
  return {
    message: {
      platform: PLATFORM,
      // message ids are unique per chat and survive redelivery; update_id restarts at random
      // after a quiet week (https://core.telegram.org/bots/api#update), so it is not a key.
      eventId: `${message.chat.id}:${message.message_id}`,
      messageId: String(message.message_id),
      conversation,
      sender: { accountId: String(from.id), displayName: displayName(from) },
      text: addressed.text,
      mentionsBot: addressed.mentionsBot || replyTo?.toBot === true,
      ...(replyTo ? { replyTo } : {}),
      attachments,
      sentAt: new Date((message.date ?? 0) * 1000).toISOString(),
    },
  };
}

function conversationOf(message: Message): ConversationRef {
  const chat = message.chat;
  const title = chat.type === 'private' ? displayName(chat as unknown as User) : (chat as { title?: string }).title;
  return {
    id: String(chat.id),
    kind: chat.type === 'private' ? 'direct' : 'group',
    // message_thread_id also appears on plain replies in non-forum supergroups; only a forum
    // topic message (is_topic_message) lives in a topic we must answer into.
    ...(message.is_topic_message && message.message_thread_id !== undefined ? { threadId: String(message.message_thread_id) } : {}),
    ...(title ? { title } : {}),
  };
}

function replyReference(message: Message, bot: BotIdentity): InboundMessage['replyTo'] {
  const original = message.reply_to_message;
  if (!isObject(original) || typeof original.message_id !== 'number') return undefined;
  // In a forum topic every message "replies" to the topic's creation message; that is not a reply.
  if (original.forum_topic_created || (message.is_topic_message && original.message_id === message.message_thread_id)) return undefined;
  return { messageId: String(original.message_id), toBot: original.from?.id === bot.id };
}

interface Addressed {
  text: string;
  mentionsBot: boolean;
  commandForOtherBot: boolean;
}

/**
 * Finds the ways a message can address the bot: an @username mention, a text_mention of the bot
 * account, a /command (with or without @botname). Bot mentions are cut out of the text the model
 * sees; other people's mentions stay, they are readable as they are. Offsets are UTF-16 code
 * units, which is what JavaScript strings index by.
 */
function readEntities(text: string, entities: MessageEntity[], bot: BotIdentity): Addressed {
  const own = `@${bot.username}`.toLowerCase();
  const cuts: Array<{ offset: number; length: number }> = [];
  let mentionsBot = false;
  let commandForOtherBot = false;
  for (const entity of entities) {
    if (!isObject(entity) || typeof entity.offset !== 'number' || typeof entity.length !== 'number') continue;
    const slice = text.slice(entity.offset, entity.offset + entity.length);
    if (entity.type === 'mention' && slice.toLowerCase() === own) {
      mentionsBot = true;
      cuts.push(entity);
    } else if (entity.type === 'text_mention' && entity.user?.id === bot.id) {
      mentionsBot = true;
      cuts.push(entity);
    } else if (entity.type === 'bot_command' && entity.offset === 0) {
      const at = slice.indexOf('@');
      if (at === -1) {
        mentionsBot = true;
      } else if (slice.slice(at).toLowerCase() === own) {
        mentionsBot = true;
        cuts.push({ offset: entity.offset + at, length: entity.length - at });
      } else {
        commandForOtherBot = true;
      }
    }
  }
  let result = text;
  for (const cut of [...cuts].sort((a, b) => b.offset - a.offset)) {
    const before = result.slice(0, cut.offset);
    const after = result.slice(cut.offset + cut.length);
    result = before.endsWith(' ') && /^[\s,.!?:;]/.test(after) ? before.slice(0, -1) + after : before + after;
  }
  // "@hearth_bot, what's up?" reads as "what's up?" once the mention is gone.
  if (cuts.some((cut) => cut.offset === 0)) result = result.replace(/^[\s,:]+/, '');
  return { text: result.trim(), mentionsBot, commandForOtherBot };
}

function attachmentsOf(message: Message): Attachment[] {
  const out: Attachment[] = [];
  const add = (kind: Attachment['kind'], file: FileLike | undefined, name?: string) => {
    if (!isObject(file) || typeof file.file_id !== 'string') return;
    out.push({
      kind,
      ref: file.file_id,
      ...(name ?? file.file_name ? { name: name ?? file.file_name } : {}),
      ...(file.mime_type ? { mimeType: file.mime_type } : {}),
      ...(typeof file.file_size === 'number' ? { sizeBytes: file.file_size } : {}),
    });
  };
  // Telegram sends several sizes of one photo, smallest first; the largest is the photo.
  if (Array.isArray(message.photo) && message.photo.length > 0) add('image', message.photo[message.photo.length - 1]);
  if (message.animation) add('video', message.animation);
  // An animation also arrives as `document` (for old clients); keep it once.
  else if (message.document) add('file', message.document);
  if (message.video) add('video', message.video);
  if (message.video_note) add('video', message.video_note);
  if (message.audio) add('audio', message.audio);
  if (message.voice) add('audio', message.voice);
  if (message.sticker) add('sticker', message.sticker, message.sticker.emoji);
  return out;
}

interface FileLike {
  file_id: string;
  file_name?: string;
  mime_type?: string;
  file_size?: number;
}

function displayName(user: Pick<User, 'first_name' | 'last_name' | 'username'>): string {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ').trim();
  return name || (user.username ? `@${user.username}` : 'someone');
}

function isObject<T>(value: T | undefined | null): value is T {
  return typeof value === 'object' && value !== null;
}
