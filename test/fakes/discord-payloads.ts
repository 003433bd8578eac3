/**
 * The Discord stand-in's world (one guild, a few people, a channel, a thread, DMs) and the JSON
 * shapes it serves, following the API v10 object docs
 * (https://discord.com/developers/docs/resources/message#message-object and friends). Only the
 * fields discord.js reads are filled in; everything else Discord sends is left out.
 */

/** Discord epoch (2015-01-01): snowflakes carry a timestamp that discord.js turns into createdAt. */
const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

export function snowflake(at = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return ((BigInt(at) - DISCORD_EPOCH) << 22n | (1n << 17n) | increment).toString();
}

export interface FakeUser {
  id: string;
  username: string;
  globalName?: string;
  bot?: boolean;
  /** Server nickname, when the user is a member of the guild. */
  nick?: string;
  /** Role ids in the guild; undefined when the user is not a member. */
  roles?: string[];
}

export type FakeChannelType = 0 | 1 | 11;

export interface FakeChannel {
  id: string;
  /** 0 guild text, 1 DM, 11 public thread (https://discord.com/developers/docs/resources/channel#channel-object-channel-types). */
  type: FakeChannelType;
  name?: string;
  guildId?: string;
  parentId?: string;
  /** The other person of a DM channel. */
  recipientId?: string;
}

export interface FakeAttachment {
  filename: string;
  contentType?: string;
  size?: number;
}

export interface AllowedMentions {
  parse?: string[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

/** Who a message actually notified, computed the way Discord applies allowed_mentions. */
export interface Pings {
  everyone: boolean;
  users: string[];
  roles: string[];
}

export interface StoredMessage {
  id: string;
  channelId: string;
  guildId?: string;
  author: FakeUser;
  content: string;
  /** 0 default, 19 reply, 7 member join and other system types. */
  type: number;
  webhookId?: string;
  reference?: { messageId: string; channelId: string; guildId?: string };
  attachments: Array<FakeAttachment & { id: string }>;
  timestamp: string;
  editedTimestamp: string | null;
  /** Exactly what the bot sent as allowed_mentions (undefined when it sent none). */
  allowedMentions?: AllowedMentions;
  pings: Pings;
  /** Replying pings the replied-to author when the client asks for it. */
  replyPing: boolean;
  edits: number;
}

export interface World {
  guild: { id: string; name: string; ownerId: string };
  bot: FakeUser;
  /** The role Discord creates for a bot when it joins ("managed", tags.bot_id). */
  botRole: { id: string; name: string };
  parentsRole: { id: string; name: string };
  people: { alice: FakeUser; bob: FakeUser; carol: FakeUser };
  /** Another bot in the same server (bot: true). */
  otherBot: FakeUser;
  channels: { general: FakeChannel; thread: FakeChannel };
}

export function createWorld(): World {
  const guildId = snowflake();
  const bot: FakeUser = { id: snowflake(), username: 'hearth', globalName: 'Hearth', bot: true };
  const botRole = { id: snowflake(), name: 'Hearth' };
  const parentsRole = { id: snowflake(), name: 'Parents' };
  bot.roles = [botRole.id];
  const alice: FakeUser = { id: snowflake(), username: 'alice', globalName: 'Alice', nick: 'Mum', roles: [parentsRole.id] };
  const bob: FakeUser = { id: snowflake(), username: 'bob', globalName: 'Bobby', roles: [] };
  const carol: FakeUser = { id: snowflake(), username: 'carol', roles: [] };
  const otherBot: FakeUser = { id: snowflake(), username: 'helper', globalName: 'Helper', bot: true, roles: [] };
  const general: FakeChannel = { id: snowflake(), type: 0, name: 'general', guildId };
  const thread: FakeChannel = { id: snowflake(), type: 11, name: 'holiday-plans', guildId, parentId: general.id };
  return {
    guild: { id: guildId, name: 'Family', ownerId: alice.id },
    bot,
    botRole,
    parentsRole,
    people: { alice, bob, carol },
    otherBot,
    channels: { general, thread },
  };
}

export function apiUser(user: FakeUser) {
  return {
    id: user.id,
    username: user.username,
    global_name: user.globalName ?? null,
    discriminator: '0',
    avatar: null,
    ...(user.bot ? { bot: true } : {}),
  };
}

const JOINED_AT = '2024-01-01T00:00:00.000Z';

export function apiMember(user: FakeUser, withUser: boolean) {
  return {
    ...(withUser ? { user: apiUser(user) } : {}),
    nick: user.nick ?? null,
    roles: user.roles ?? [],
    joined_at: JOINED_AT,
    deaf: false,
    mute: false,
    flags: 0,
  };
}

export function apiChannel(channel: FakeChannel, world: World, users: Map<string, FakeUser>) {
  switch (channel.type) {
    case 1:
      return { id: channel.id, type: 1, recipients: [apiUser(users.get(channel.recipientId!)!)], last_message_id: null };
    case 11:
      return {
        id: channel.id,
        type: 11,
        guild_id: channel.guildId,
        parent_id: channel.parentId,
        name: channel.name,
        owner_id: world.people.alice.id,
        message_count: 0,
        member_count: 2,
        rate_limit_per_user: 0,
        thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: JOINED_AT, locked: false },
      };
    default:
      return {
        id: channel.id,
        type: channel.type,
        guild_id: channel.guildId,
        name: channel.name,
        position: 0,
        parent_id: null,
        nsfw: false,
        topic: null,
        rate_limit_per_user: 0,
        permission_overwrites: [],
      };
  }
}

/** The GUILD_CREATE payload (https://discord.com/developers/docs/events/gateway-events#guild-create). */
export function apiGuildCreate(world: World, users: Map<string, FakeUser>) {
  const { guild, botRole, parentsRole } = world;
  const role = (id: string, name: string, position: number, extra: Record<string, unknown> = {}) => ({
    id,
    name,
    color: 0,
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: '0',
    managed: false,
    mentionable: true,
    flags: 0,
    ...extra,
  });
  const members = [...users.values()].filter((user) => user.roles !== undefined);
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    owner_id: guild.ownerId,
    unavailable: false,
    large: false,
    member_count: members.length,
    joined_at: JOINED_AT,
    features: [],
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    preferred_locale: 'en-US',
    system_channel_id: null,
    afk_channel_id: null,
    afk_timeout: 300,
    roles: [
      role(guild.id, '@everyone', 0, { permissions: '68608', mentionable: false }),
      role(botRole.id, botRole.name, 1, { managed: true, mentionable: false, tags: { bot_id: world.bot.id } }),
      role(parentsRole.id, parentsRole.name, 2),
    ],
    emojis: [],
    stickers: [],
    channels: [apiChannel(world.channels.general, world, users)],
    threads: [apiChannel(world.channels.thread, world, users)],
    members: members.map((user) => apiMember(user, true)),
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export function apiMessage(message: StoredMessage, store: { users: Map<string, FakeUser>; messages: Map<string, StoredMessage> }, depth = 0): Record<string, unknown> {
  const inGuild = message.guildId !== undefined;
  const mentioned = [...message.content.matchAll(/<@!?(\d+)>/g)].map((m) => store.users.get(m[1]!)).filter((u) => u !== undefined);
  const referenced = message.reference ? store.messages.get(message.reference.messageId) : undefined;
  if (referenced && message.replyPing && !mentioned.some((u) => u.id === referenced.author.id)) mentioned.push(referenced.author);
  return {
    id: message.id,
    channel_id: message.channelId,
    ...(inGuild ? { guild_id: message.guildId } : {}),
    author: apiUser(message.author),
    ...(inGuild && !message.webhookId && message.author.roles ? { member: apiMember(message.author, false) } : {}),
    content: message.content,
    timestamp: message.timestamp,
    edited_timestamp: message.editedTimestamp,
    tts: false,
    mention_everyone: /@(everyone|here)\b/.test(message.content),
    mentions: mentioned.map((user) => ({ ...apiUser(user), ...(inGuild && user.roles ? { member: apiMember(user, false) } : {}) })),
    mention_roles: [...message.content.matchAll(/<@&(\d+)>/g)].map((m) => m[1]!),
    attachments: message.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      size: a.size ?? 0,
      url: `https://cdn.discordapp.com/attachments/${message.channelId}/${a.id}/${a.filename}`,
      proxy_url: `https://media.discordapp.net/attachments/${message.channelId}/${a.id}/${a.filename}`,
      ...(a.contentType ? { content_type: a.contentType } : {}),
    })),
    embeds: [],
    components: [],
    pinned: false,
    type: message.type,
    flags: 0,
    ...(message.webhookId ? { webhook_id: message.webhookId } : {}),
    ...(message.reference
      ? {
          message_reference: {
            type: 0,
            message_id: message.reference.messageId,
            channel_id: message.reference.channelId,
            ...(message.reference.guildId ? { guild_id: message.reference.guildId } : {}),
          },
          // Discord nests the replied-to message one level deep (null when it was deleted).
          referenced_message: referenced && depth === 0 ? apiMessage(referenced, store, 1) : null,
        }
      : {}),
  };
}

/** Who gets notified, per https://discord.com/developers/docs/resources/message#allowed-mentions-object. */
export function computePings(content: string, allowed: AllowedMentions | undefined, repliedAuthorId: string | undefined): Pings {
  const parse = allowed ? (allowed.parse ?? []) : ['users', 'roles', 'everyone'];
  const users = [...content.matchAll(/<@!?(\d+)>/g)]
    .map((m) => m[1]!)
    .filter((id) => parse.includes('users') || (allowed?.users ?? []).includes(id));
  const roles = [...content.matchAll(/<@&(\d+)>/g)]
    .map((m) => m[1]!)
    .filter((id) => parse.includes('roles') || (allowed?.roles ?? []).includes(id));
  // Without allowed_mentions a reply pings its author; with it, only when replied_user is true.
  if (repliedAuthorId && (allowed ? allowed.replied_user === true : true) && !users.includes(repliedAuthorId)) users.push(repliedAuthorId);
  return { everyone: /@(everyone|here)\b/.test(content) && parse.includes('everyone'), users: [...new Set(users)], roles: [...new Set(roles)] };
}
