/**
 * The discord.js client as Hearth runs it: the fewest intents that let it read and answer
 * messages, bounded caches, mentions locked down by default, and REST (hence the gateway URL,
 * which comes from REST's /gateway/bot) pointed at `apiBase`.
 */
import { Client, GatewayIntentBits, Options, Partials, SimpleShardingStrategy, type User } from 'discord.js';

export interface ClientSettings {
  apiBase: string;
  messageCacheSize: number;
  maxRateLimitWaitMs: number;
  restTimeoutMs: number;
}

/**
 * Guilds: channels, threads and roles (the bot's managed role) in cache. GuildMessages and
 * DirectMessages: message events. MessageContent: the text itself; it is a privileged intent the
 * owner switches on in the Developer Portal, without it Discord closes the gateway with 4014.
 */
export const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages];

export function createClient(settings: ClientSettings): Client {
  let self: User | null = null;
  const client: Client = new Client({
    intents: INTENTS,
    // DM channels are not announced by the gateway before their first message; without the
    // Channel partial discord.js drops DMs it has not cached.
    partials: [Partials.Channel],
    // A family server can hold years of messages: keep a few per channel (enough to see who a
    // reply points at) and nothing Hearth never reads. Guild, channel and role caches stay whole:
    // discord.js needs them (https://discord.js.org/docs/packages/discord.js/main/CacheFactory:TypeAlias).
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: settings.messageCacheSize,
      GuildMessageManager: settings.messageCacheSize,
      DMMessageManager: settings.messageCacheSize,
      ThreadMemberManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      PresenceManager: 0,
      VoiceStateManager: 0,
      GuildEmojiManager: 0,
      GuildStickerManager: 0,
      GuildScheduledEventManager: 0,
      StageInstanceManager: 0,
      GuildInviteManager: 0,
      GuildBanManager: 0,
      AutoModerationRuleManager: 0,
      ApplicationCommandManager: 0,
      GuildMemberManager: { maxSize: 1000, keepOverLimit: (member) => member.id === self?.id },
      UserManager: { maxSize: 1000, keepOverLimit: (user) => user.id === self?.id },
    }),
    sweepers: {
      ...Options.DefaultSweeperSettings,
      messages: { interval: 600, lifetime: 1800 },
      users: { interval: 3600, filter: () => (user) => user.id !== self?.id },
      guildMembers: { interval: 3600, filter: () => (member) => member.id !== self?.id },
    },
    // The default for anything sent without explicit options: ping nobody. send() widens it to
    // exactly the person being answered.
    allowedMentions: { parse: [], users: [], roles: [], repliedUser: false },
    failIfNotExists: false,
    rest: {
      api: settings.apiBase,
      version: '10',
      timeout: settings.restTimeoutMs,
      // Short 429s are waited out inside discord.js's per-route queue; longer ones go back to
      // the outbox as PlatformRateLimitedError so one slow channel does not hold a send open.
      rejectOnRateLimit: (data) => data.retryAfter > settings.maxRateLimitWaitMs,
    },
    ws: {
      version: 10,
      // Plain JSON frames: discord.js turns on zlib-stream whenever the optional zlib-sync
      // package happens to be installed; Hearth does not ship it, so keep the wire identical
      // everywhere (and readable by the test stand-in).
      buildStrategy: (manager) => {
        manager.options.compression = null;
        return new SimpleShardingStrategy(manager);
      },
    },
  });
  client.on('clientReady', (ready) => {
    self = ready.user;
  });
  return client;
}
