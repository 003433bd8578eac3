/**
 * A discord.js Message → Hearth's InboundMessage, or null for messages Hearth never answers
 * (other bots, webhooks, system messages, its own).
 */
import { ChannelType, MessageType, type Attachment as DiscordAttachment, type Message } from 'discord.js';
import type { Attachment, ConversationRef, InboundMessage } from '../../src/core/index.ts';

/** Plain messages and replies; everything else (joins, pins, thread starters, boosts) is a system message. */
const CONVERSATIONAL = new Set<MessageType>([MessageType.Default, MessageType.Reply]);

export function normalizeMessage(message: Message, botId: string): InboundMessage | null {
  if (message.author.id === botId) return null;
  if (message.author.bot || message.webhookId || message.system || !CONVERSATIONAL.has(message.type)) return null;

  const botRoleId = message.guild?.roles.botRoleFor(botId)?.id;
  // mentions.users also lists the bot when someone replies to it with the "@ON" toggle: that
  // addresses the bot too.
  const mentionsUser = new RegExp(`<@!?${botId}>`).test(message.content) || message.mentions.users.has(botId);
  const mentionsRole = botRoleId !== undefined && (message.content.includes(`<@&${botRoleId}>`) || message.mentions.roles.has(botRoleId));
  const replyTo = replyReference(message, botId);

  return {
    platform: 'discord',
    // The message id is a snowflake Discord never reuses; a RESUME that replays the same
    // MESSAGE_CREATE carries the same id, so the journal answers it once.
    eventId: message.id,
    messageId: message.id,
    conversation: conversationOf(message),
    sender: { accountId: message.author.id, displayName: message.member?.displayName ?? message.author.displayName },
    text: readableText(message, botId, botRoleId),
    mentionsBot: mentionsUser || mentionsRole || replyTo?.toBot === true,
    ...(replyTo ? { replyTo } : {}),
    attachments: attachmentsOf(message),
    sentAt: message.createdAt.toISOString(),
  };
}

/**
 * Threads are their own conversation: conversation.id is the thread's channel id (a thread is a
 * channel in Discord), so replies land inside the thread and its history stays separate from
 * the parent channel's. threadId is left unset because the id already names the thread.
 */
export function conversationOf(message: Message): ConversationRef {
  const channel = message.channel;
  if (channel.type === ChannelType.DM) {
    return { id: channel.id, kind: 'direct', title: `DM with ${message.author.username}` };
  }
  if (channel.isThread()) {
    const parent = channel.parent?.name;
    return { id: channel.id, kind: 'group', title: `${message.guild?.name ?? 'server'} #${parent ?? '?'} › ${channel.name ?? 'thread'}` };
  }
  const name = 'name' in channel && channel.name ? `#${channel.name}` : `#${channel.id}`;
  return { id: channel.id, kind: 'group', title: `${message.guild?.name ?? 'server'} ${name}` };
}

function replyReference(message: Message, botId: string): InboundMessage['replyTo'] {
  const messageId = message.reference?.messageId;
  if (!messageId || message.type !== MessageType.Reply) return undefined;
  // Discord embeds the replied-to message (referenced_message); discord.js keeps its author as
  // mentions.repliedUser even when the message itself has left the cache.
  const author = message.mentions.repliedUser?.id ?? message.channel.messages.cache.get(messageId)?.author.id;
  return { messageId, toBot: author === botId };
}

/**
 * The text the model sees: the bot's own mention (user or managed role) removed, other people's
 * mentions turned into the names people see in the client.
 */
export function readableText(message: Message, botId: string, botRoleId: string | undefined): string {
  const text = message.content
    .replace(/<@!?(\d+)>/g, (_, id: string) => (id === botId ? '' : `@${displayNameOf(message, id)}`))
    .replace(/<@&(\d+)>/g, (_, id: string) => (id === botRoleId ? '' : `@${message.guild?.roles.cache.get(id)?.name ?? 'role'}`))
    .replace(/<#(\d+)>/g, (_, id: string) => {
      const channel = message.client.channels.cache.get(id);
      return `#${channel && 'name' in channel && channel.name ? channel.name : 'channel'}`;
    });
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t]{2,}/g, ' ').trim())
    .join('\n')
    .replace(/^\s*[,:]\s*/, '')
    .trim();
}

function displayNameOf(message: Message, userId: string): string {
  const member = message.mentions.members?.get(userId) ?? message.guild?.members.cache.get(userId);
  if (member) return member.displayName;
  const user = message.mentions.users.get(userId) ?? message.client.users.cache.get(userId);
  return user?.displayName ?? 'someone';
}

function attachmentsOf(message: Message): Attachment[] {
  const files = [...message.attachments.values()].map(attachmentOf);
  const stickers = [...message.stickers.values()].map((sticker): Attachment => ({ kind: 'sticker', ref: sticker.id, name: sticker.name }));
  return [...files, ...stickers];
}

function attachmentOf(file: DiscordAttachment): Attachment {
  const mimeType = file.contentType ?? undefined;
  const kind: Attachment['kind'] = mimeType?.startsWith('image/')
    ? 'image'
    : mimeType?.startsWith('audio/')
      ? 'audio'
      : mimeType?.startsWith('video/')
        ? 'video'
        : 'file';
  return { kind, ref: file.url, name: file.name, ...(mimeType ? { mimeType } : {}), sizeBytes: file.size };
}
