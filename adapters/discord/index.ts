/**
 * Hearth on Discord through discord.js: one gateway connection (resumed, re-identified and
 * zombie-checked by discord.js itself), REST for everything sent. Connecting lives here,
 * normalize.ts turns messages into InboundMessage, render.ts turns replies into Discord markdown.
 */
import { Events, Status, type Client, type Message, type MessageMentionOptions, type SendableChannels } from 'discord.js';
import {
  PlatformConfigError,
  PlatformRejectedError,
  PlatformUnreachableError,
  type Adapter,
  type AdapterCapabilities,
  type AdapterContext,
  type ConversationRef,
  type DoctorCheck,
  type HealthReport,
  type OutboundMessage,
  type Sender,
  type SentMessage,
  handOver,
} from '../../src/core/index.ts';
import { createClient } from './client.ts';
import { discordDoctor } from './doctor.ts';
import { configErrorForCloseCode, loginError, toCoreError } from './errors.ts';
import { normalizeMessage } from './normalize.ts';
import { renderDiscord } from './render.ts';

export interface DiscordAdapterOptions {
  /** DISCORD_BOT_TOKEN: the bot token from the Developer Portal (Bot → Reset Token). */
  token: string;
  /**
   * DISCORD_API_BASE: REST base URL without the version (default https://discord.com/api).
   * The gateway URL is whatever that base's /gateway/bot answers, so one setting moves both
   * (for a proxy, or the test stand-in).
   */
  apiBase?: string;
  /** Messages kept in memory per channel (default 50): enough to see what a reply points at. */
  messageCacheSize?: number;
  /** Rate limits up to this long are waited out inside discord.js; longer ones go back to the outbox (default 10 s). */
  maxRateLimitWaitMs?: number;
  /** Timeout of one REST request (default 15 s). */
  restTimeoutMs?: number;
  /** How long start() waits for the gateway to become ready (default 60 s). */
  readyTimeoutMs?: number;
}

export const DEFAULT_DISCORD_API_BASE = 'https://discord.com/api';

const PLATFORM = 'discord';
const MAX_LENGTH = 2000;
/** Remembered per sent message so an edit keeps the same (locked-down) mentions. */
const REMEMBERED_SENDS = 500;

export const discordCapabilities: AdapterCapabilities = {
  maxMessageLength: MAX_LENGTH,
  markdown: 'discord',
  canEdit: true,
  hasTyping: true,
  hasThreads: true,
  // A typing indicator lasts about 10 s (https://discord.com/developers/docs/resources/channel#trigger-typing-indicator).
  typingRefreshMs: 8_000,
  // Message edits share a per-channel bucket of about 5 per 5 s.
  minEditIntervalMs: 1_200,
};

export function createDiscordAdapter(options: DiscordAdapterOptions): Adapter {
  const apiBase = (options.apiBase ?? DEFAULT_DISCORD_API_BASE).replace(/\/+$/, '');
  const restTimeoutMs = options.restTimeoutMs ?? 15_000;
  let client: Client | undefined;
  let context: AdapterContext | undefined;
  let stopped = false;
  let configError: PlatformConfigError | undefined;
  let lastCloseCode: number | undefined;
  let inbound: Promise<void> = Promise.resolve();
  const mentionsBySent = new Map<string, MessageMentionOptions>();

  function connected(): Client {
    if (!client) throw new PlatformUnreachableError(PLATFORM, 'the Discord adapter is not started');
    return client;
  }

  async function channelOf(conversation: ConversationRef): Promise<SendableChannels> {
    const c = connected();
    let channel;
    try {
      channel = c.channels.cache.get(conversation.id) ?? (await c.channels.fetch(conversation.id));
    } catch (error) {
      throw toCoreError(error, `looking up channel ${conversation.id}`);
    }
    if (!channel?.isSendable()) throw new PlatformRejectedError(PLATFORM, `channel ${conversation.id} is not a channel Hearth can write in`);
    return channel;
  }

  /** Ping nobody but the person being answered, whatever the model wrote (@everyone, roles, other users). */
  function lockedMentions(addressee: Sender | undefined): MessageMentionOptions {
    return { parse: [], users: addressee ? [addressee.accountId] : [], roles: [], repliedUser: addressee !== undefined };
  }

  function remember(messageId: string, mentions: MessageMentionOptions): void {
    mentionsBySent.set(messageId, mentions);
    if (mentionsBySent.size > REMEMBERED_SENDS) mentionsBySent.delete(mentionsBySent.keys().next().value!);
  }

  function onMessage(message: Message): void {
    const c = client;
    if (!c?.user || !context) return;
    const botId = c.user.id;
    // One at a time, so the journal sees a channel's messages in the order Discord sent them.
    inbound = inbound.then(() => deliver(message, botId));
  }

  /**
   * Discord does not redeliver: an event that cannot be read or journaled after a few attempts
   * is set aside (recorded) rather than retried forever; only a database that is down loses it.
   */
  async function deliver(message: Message, botId: string): Promise<void> {
    const ctx = context!;
    try {
      const outcome = await handOver(ctx, { eventId: String(message.id), payload: rawOf(message) }, () => normalizeMessage(message, botId) ?? undefined, { attempts: stopped ? 1 : 5 });
      if (outcome === 'duplicate') ctx.log.debug({ eventId: message.id }, 'Discord message already journaled (replayed on resume)');
    } catch (error) {
      ctx.log.error({ err: error, eventId: message.id }, 'could not journal a Discord message, nor set it aside; it is lost');
    }
  }

  function watch(c: Client, log: AdapterContext['log']): void {
    c.on(Events.MessageCreate, onMessage);
    c.on(Events.ShardDisconnect, (event, shardId) => {
      lastCloseCode = event.code;
      const error = configErrorForCloseCode(event.code);
      if (error) configError = error;
      if (!stopped) log.error({ shardId, code: event.code }, error ? error.message : 'Discord gateway closed for good');
    });
    // discord.js reports its own shutdown as a reconnect too; only a live adapter cares.
    c.on(Events.ShardReconnecting, (shardId) => {
      if (!stopped) log.warn({ shardId }, 'Discord gateway connection lost; reconnecting');
    });
    c.on(Events.ShardResume, (shardId, replayed) => log.info({ shardId, replayed }, 'Discord gateway session resumed'));
    c.on(Events.ShardReady, (shardId) => log.info({ shardId }, 'Discord gateway ready'));
    c.on(Events.ShardError, (error, shardId) => log.warn({ shardId, err: error }, 'Discord gateway error'));
    c.on(Events.Warn, (message) => log.warn(message));
    c.on(Events.Error, (error) => log.error({ err: error }, 'discord.js error'));
    // discord.js debug lines censor the token; skip any that mention one anyway.
    c.on(Events.Debug, (message) => {
      if (!/token/i.test(message)) log.trace(message);
    });
  }

  return {
    platform: PLATFORM,
    // One gateway session per bot token and shard: only one Hearth process may run it.
    exclusive: true,
    capabilities: discordCapabilities,

    async start(ctx) {
      context = ctx;
      stopped = false;
      configError = undefined;
      lastCloseCode = undefined;
      const log = ctx.log.child({ platform: PLATFORM });
      const c = createClient({
        apiBase,
        messageCacheSize: options.messageCacheSize ?? 50,
        maxRateLimitWaitMs: options.maxRateLimitWaitMs ?? 10_000,
        restTimeoutMs,
      });
      client = c;
      watch(c, log);
      const ready = new Promise<void>((resolve) => c.once(Events.ClientReady, () => resolve()));
      try {
        await c.login(options.token);
      } catch (error) {
        const mapped = loginError(error, lastCloseCode);
        if (mapped instanceof PlatformConfigError) configError = mapped;
        client = undefined;
        throw mapped;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.readyTimeoutMs ?? 60_000)));
      const outcome = await Promise.race([ready, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        await c.destroy();
        client = undefined;
        throw new PlatformUnreachableError(PLATFORM, 'the gateway did not finish sending the servers Hearth is in');
      }
      log.info({ bot: c.user?.tag, guilds: c.guilds.cache.size }, 'connected to Discord');
    },

    async stop() {
      stopped = true;
      const c = client;
      client = undefined;
      if (c) await c.destroy();
      await inbound;
    },

    async send(message: OutboundMessage): Promise<SentMessage> {
      const channel = await channelOf(message.conversation);
      const rendered = renderDiscord(message.text);
      // The core chunks the markdown to 2000; rendering rarely grows it (tables gain fences),
      // and then the markdown as written is the safer message.
      const content = rendered.length <= MAX_LENGTH ? rendered : message.text;
      const allowedMentions = lockedMentions(message.addressee);
      try {
        const sent = await channel.send({
          content,
          allowedMentions,
          // Discord returns the message already created with this nonce instead of a second one
          // (for a few minutes): a resend after a crash is not shown twice.
          ...(message.idempotencyKey ? { nonce: message.idempotencyKey, enforceNonce: true } : {}),
          // Reference the message being answered; if it was deleted meanwhile, send anyway.
          ...(message.replyToMessageId ? { reply: { messageReference: message.replyToMessageId, failIfNotExists: false } } : {}),
        });
        remember(sent.id, allowedMentions);
        return { messageId: sent.id };
      } catch (error) {
        throw toCoreError(error, 'sending a message');
      }
    },

    async edit(conversation: ConversationRef, messageId: string, text: string): Promise<void> {
      const channel = await channelOf(conversation);
      const rendered = renderDiscord(text);
      try {
        await channel.messages.edit(messageId, {
          content: rendered.length <= MAX_LENGTH ? rendered : text,
          allowedMentions: mentionsBySent.get(messageId) ?? lockedMentions(undefined),
        });
      } catch (error) {
        throw toCoreError(error, 'editing a message');
      }
    },

    /** Creates (or gets back) the DM channel with that user: POST /users/@me/channels. */
    async openDirect(accountId: string): Promise<ConversationRef> {
      const c = connected();
      try {
        const channel = await c.users.createDM(accountId);
        return { id: channel.id, kind: 'direct' };
      } catch (error) {
        throw toCoreError(error, `opening a direct message with ${accountId}`);
      }
    },

    async deleteMessage(conversation: ConversationRef, messageId: string): Promise<void> {
      const channel = await channelOf(conversation);
      try {
        // Works in servers with Manage Messages; in a DM Discord refuses (50003), and the caller warns.
        await channel.messages.delete(messageId);
      } catch (error) {
        throw toCoreError(error, 'deleting a message');
      }
    },

    async sendTyping(conversation: ConversationRef): Promise<void> {
      const channel = await channelOf(conversation);
      try {
        await channel.sendTyping();
      } catch (error) {
        throw toCoreError(error, 'showing typing');
      }
    },

    health(): HealthReport {
      if (configError) return { ok: false, detail: configError.message };
      const c = client;
      if (!c) return { ok: false, detail: stopped ? 'stopped' : 'not connected' };
      const shards = [...c.ws.shards.values()];
      const ok = c.isReady() && shards.length > 0 && shards.every((shard) => shard.status === Status.Ready);
      if (ok) {
        const ping = c.ws.ping >= 0 ? ` (heartbeat ${Math.round(c.ws.ping)} ms)` : '';
        return { ok, detail: `connected as ${c.user?.tag ?? '?'}${ping}` };
      }
      const states = shards.map((shard) => Status[shard.status] ?? String(shard.status)).join(', ');
      return { ok, detail: `gateway ${states || 'connecting'}` };
    },

    async doctor(): Promise<DoctorCheck[]> {
      const checks = await discordDoctor(options.token, apiBase, restTimeoutMs);
      // What the running gateway saw, unless the REST checks above already tell the same story.
      if (configError && !checks.some((check) => !check.ok && check.fix === configError!.fix)) checks.push({ name: 'discord gateway session', ok: false, detail: configError.message, fix: configError.fix });
      return checks;
    },
  };
}

/** What a set-aside record keeps of a Discord message: where it came from and what it said. */
function rawOf(message: Message): unknown {
  try {
    return { id: message.id, channelId: message.channelId, author: message.author?.id, content: message.content };
  } catch {
    return { id: message.id };
  }
}
