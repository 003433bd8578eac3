/**
 * A Discord stand-in the real discord.js client talks to: REST on node:http under /api/v10 and the
 * gateway on `ws` (discord-gateway.ts), both on 127.0.0.1. It records every call, applies
 * allowed_mentions the way Discord does (so tests can see who would have been pinged), and injects
 * faults: 429s with retry_after, API errors, dropped sockets, silent (zombie) sockets,
 * INVALID_SESSION, a missing Message Content intent.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGateway, type GatewayConnection, type GatewayFrame } from './discord-gateway.ts';
import { eventually } from '../helpers/eventually.ts';
import {
  apiChannel,
  apiGuildCreate,
  apiMessage,
  apiUser,
  computePings,
  createWorld,
  snowflake,
  type AllowedMentions,
  type FakeAttachment,
  type FakeChannel,
  type FakeUser,
  type StoredMessage,
  type World,
} from './discord-payloads.ts';

export type { StoredMessage, FakeUser, FakeChannel, World, Pings } from './discord-payloads.ts';

export interface FakeDiscordOptions {
  /** The token the stand-in accepts (default 'fake-discord-token'). */
  token?: string;
  /** HELLO's heartbeat_interval; short so zombie detection happens within a test. */
  heartbeatIntervalMs?: number;
  /** false: the Developer Portal toggle is off, IDENTIFY with the intent is closed with 4014. */
  messageContentIntent?: boolean;
  /** Already-delivered dispatches a RESUME replays too (Discord may replay what a client already saw). */
  replayOverlap?: number;
  /** Close every IDENTIFY with this code (e.g. 4004 for a token the gateway refuses). */
  identifyCloseCode?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path after /api/v10, e.g. '/channels/123/messages'. */
  route: string;
  /** The raw path as requested (to check the API version prefix). */
  path: string;
  body: unknown;
  status: number;
  /** Whether the request carried `Authorization: Bot <the token>` (the token itself is never recorded). */
  authorized: boolean;
}

export interface InjectOptions {
  from: FakeUser;
  /** A channel, or 'dm' for the author's direct-message channel with the bot. */
  in: FakeChannel | 'dm';
  content: string;
  /** Reply to this message (message_reference + referenced_message). */
  replyTo?: string;
  /** Whether the reply pings the replied-to author (Discord clients' "@ON" toggle); default false. */
  replyPing?: boolean;
  attachments?: FakeAttachment[];
  /** Post through a webhook (webhook_id set, author is the webhook). */
  webhook?: boolean;
  /** Message type; 7 (member join) and friends are system messages. */
  type?: number;
  /** Fields laid over the MESSAGE_CREATE payload as sent, e.g. a number as `content` (a broken event). */
  raw?: Record<string, unknown>;
}

interface Fault {
  match: (method: string, route: string) => boolean;
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface FakeDiscord {
  /** Pass as the adapter's apiBase (DISCORD_API_BASE): REST at <apiBase>/v10. */
  apiBase: string;
  token: string;
  world: World;
  gateway: FakeGateway;
  requests: RecordedRequest[];
  /** Every message in every channel, in creation order, edits applied. */
  messages: StoredMessage[];
  typing: Array<{ channelId: string }>;
  frames: GatewayFrame[];
  connections: GatewayConnection[];
  dmChannel(user: FakeUser): FakeChannel;
  /** A person (or bot, or webhook) posts; delivered over the gateway (or kept for replay if the socket is down). */
  inject(options: InjectOptions): StoredMessage;
  /** Messages the bot created, optionally in one channel. */
  botMessages(channelId?: string): StoredMessage[];
  /** The next `times` matching requests get 429 with retry_after seconds and X-RateLimit-* headers. */
  rateLimit(options: { method: string; route: RegExp; retryAfter: number; times?: number; global?: boolean }): void;
  /** The next `times` matching requests fail with this status and Discord error body. */
  failNext(options: { method: string; route: RegExp; status: number; code?: number; message?: string; times?: number }): void;
  waitFor<T>(probe: () => T | undefined | false, what: string, ms?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const token = options.token ?? 'fake-discord-token';
  const world = createWorld();
  const users = new Map<string, FakeUser>([world.bot, world.otherBot, ...Object.values(world.people)].map((u) => [u.id, u]));
  const channels = new Map<string, FakeChannel>(Object.values(world.channels).map((c) => [c.id, c]));
  const byId = new Map<string, StoredMessage>();
  const nonces = new Map<string, StoredMessage>();
  const messages: StoredMessage[] = [];
  const requests: RecordedRequest[] = [];
  const typing: Array<{ channelId: string }> = [];
  const faults: Fault[] = [];
  const routeOf = new WeakMap<ServerResponse, string>();
  const applicationId = world.bot.id;

  const gateway = new FakeGateway({
    token,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 250,
    messageContentIntent: options.messageContentIntent ?? true,
    replayOverlap: options.replayOverlap ?? 0,
    identifyCloseCode: options.identifyCloseCode,
    ready: (sessionId, resumeUrl) => ({
      v: 10,
      user: { ...apiUser(world.bot), verified: true, mfa_enabled: false, flags: 0 },
      guilds: [{ id: world.guild.id, unavailable: true }],
      session_id: sessionId,
      resume_gateway_url: resumeUrl,
      shard: [0, 1],
      application: { id: applicationId, flags: applicationFlags() },
    }),
    guildCreate: () => apiGuildCreate(world, users),
  });

  /** GATEWAY_MESSAGE_CONTENT (1 << 19) is what the Developer Portal toggle sets. */
  const applicationFlags = () => (options.messageContentIntent ?? true ? 1 << 19 : 0);
  const store = { users, messages: byId };

  function dmChannel(user: FakeUser): FakeChannel {
    const existing = [...channels.values()].find((c) => c.type === 1 && c.recipientId === user.id);
    if (existing) return existing;
    const channel: FakeChannel = { id: snowflake(), type: 1, recipientId: user.id };
    channels.set(channel.id, channel);
    return channel;
  }

  function store_(message: StoredMessage, raw: Record<string, unknown> = {}): StoredMessage {
    messages.push(message);
    byId.set(message.id, message);
    const channel = channels.get(message.channelId)!;
    gateway.dispatch('MESSAGE_CREATE', { ...apiMessage(message, store), channel_type: channel.type, ...raw });
    return message;
  }

  function inject(o: InjectOptions): StoredMessage {
    const channel = o.in === 'dm' ? dmChannel(o.from) : o.in;
    const replied = o.replyTo ? byId.get(o.replyTo) : undefined;
    if (o.replyTo && !replied) throw new Error(`no message ${o.replyTo} to reply to`);
    const author: FakeUser = o.webhook ? { id: snowflake(), username: 'Captain Hook' } : o.from;
    return store_({
      id: snowflake(),
      channelId: channel.id,
      ...(channel.guildId ? { guildId: channel.guildId } : {}),
      author,
      content: o.content,
      type: o.type ?? (replied ? 19 : 0),
      // Webhook authors are not flagged bot: the adapter has to look at webhook_id.
      ...(o.webhook ? { webhookId: author.id } : {}),
      ...(replied ? { reference: { messageId: replied.id, channelId: replied.channelId, ...(replied.guildId ? { guildId: replied.guildId } : {}) } } : {}),
      attachments: (o.attachments ?? []).map((a) => ({ ...a, id: snowflake() })),
      timestamp: new Date().toISOString(),
      editedTimestamp: null,
      pings: { everyone: false, users: [], roles: [] },
      replyPing: o.replyPing ?? false,
      edits: 0,
    }, o.raw);
  }

  function apiError(res: ServerResponse, status: number, code: number, message: string, extra: Record<string, unknown> = {}) {
    return json(res, status, { message, code, ...extra });
  }

  function createMessage(res: ServerResponse, channel: FakeChannel, body: Record<string, unknown>): void {
    // enforce_nonce: the message this author already created with the nonce comes back instead.
    const nonce = typeof body.nonce === 'string' || typeof body.nonce === 'number' ? String(body.nonce) : undefined;
    const earlier = nonce && body.enforce_nonce === true ? nonces.get(`${channel.id}/${nonce}`) : undefined;
    if (earlier) return json(res, 200, apiMessage(earlier, store));
    const content = typeof body.content === 'string' ? body.content : '';
    if (!content) return apiError(res, 400, 50006, 'Cannot send an empty message');
    if (content.length > 2000) {
      return apiError(res, 400, 50035, 'Invalid Form Body', {
        errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } },
      });
    }
    const allowed = body.allowed_mentions as AllowedMentions | undefined;
    if (allowed?.parse?.includes('users') && allowed.users?.length) {
      return apiError(res, 400, 50035, 'Invalid Form Body', { errors: { allowed_mentions: { _errors: [{ code: 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE' }] } } });
    }
    const ref = body.message_reference as { message_id?: string; fail_if_not_exists?: boolean } | undefined;
    let replied = ref?.message_id ? byId.get(ref.message_id) : undefined;
    if (ref?.message_id && !replied && ref.fail_if_not_exists !== false) {
      return apiError(res, 400, 50035, 'Invalid Form Body', { errors: { message_reference: { _errors: [{ code: 'REPLIES_UNKNOWN_MESSAGE' }] } } });
    }
    if (replied && replied.channelId !== channel.id) replied = undefined;
    const message = store_({
      id: snowflake(),
      channelId: channel.id,
      ...(channel.guildId ? { guildId: channel.guildId } : {}),
      author: world.bot,
      content,
      type: replied ? 19 : 0,
      ...(replied ? { reference: { messageId: replied.id, channelId: channel.id, ...(channel.guildId ? { guildId: channel.guildId } : {}) } } : {}),
      attachments: [],
      timestamp: new Date().toISOString(),
      editedTimestamp: null,
      ...(allowed ? { allowedMentions: allowed } : {}),
      pings: computePings(content, allowed, replied?.author.id),
      replyPing: allowed ? allowed.replied_user === true : true,
      edits: 0,
    });
    if (nonce && body.enforce_nonce === true) nonces.set(`${channel.id}/${nonce}`, message);
    json(res, 200, apiMessage(message, store));
  }

  function editMessage(res: ServerResponse, message: StoredMessage, body: Record<string, unknown>): void {
    if (message.author.id !== world.bot.id) return apiError(res, 403, 50005, 'Cannot edit a message authored by another user');
    if (typeof body.content === 'string') {
      if (body.content.length > 2000) return apiError(res, 400, 50035, 'Invalid Form Body');
      message.content = body.content;
    }
    if (body.allowed_mentions) message.allowedMentions = body.allowed_mentions as AllowedMentions;
    const repliedAuthor = message.reference ? byId.get(message.reference.messageId)?.author.id : undefined;
    message.pings = computePings(message.content, message.allowedMentions, message.replyPing ? repliedAuthor : undefined);
    message.edits += 1;
    message.editedTimestamp = new Date().toISOString();
    const payload = apiMessage(message, store);
    gateway.dispatch('MESSAGE_UPDATE', payload);
    json(res, 200, payload);
  }

  async function route(res: ServerResponse, record: RecordedRequest): Promise<void> {
    const method = record.method;
    const path = record.route;
    const fault = faults.findIndex((f) => f.match(method, path));
    if (fault !== -1) {
      const [f] = faults.splice(fault, 1);
      return json(res, f!.status, f!.body, f!.headers);
    }
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      return json(res, 200, {
        url: `ws://127.0.0.1:${port}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && path === '/users/@me') return json(res, 200, { ...apiUser(world.bot), verified: true, flags: 0 });
    if (method === 'GET' && path === '/applications/@me') {
      return json(res, 200, { id: applicationId, name: 'Hearth', flags: applicationFlags(), bot_public: false, bot: apiUser(world.bot) });
    }
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = users.get(String((record.body as { recipient_id?: string })?.recipient_id));
      if (!recipient) return apiError(res, 400, 50033, 'Invalid Recipient(s)');
      return json(res, 200, apiChannel(dmChannel(recipient), world, users));
    }
    if ((m = path.match(/^\/channels\/(\d+)(\/.*)?$/))) {
      const channel = channels.get(m[1]!);
      if (!channel) return apiError(res, 404, 10003, 'Unknown Channel');
      const rest = m[2] ?? '';
      if (method === 'GET' && rest === '') return json(res, 200, apiChannel(channel, world, users));
      if (method === 'POST' && rest === '/typing') {
        typing.push({ channelId: channel.id });
        res.writeHead(204, rateLimitHeaders(path)).end();
        return;
      }
      if (method === 'POST' && rest === '/messages') return createMessage(res, channel, (record.body ?? {}) as Record<string, unknown>);
      const single = rest.match(/^\/messages\/(\d+)$/);
      if (single) {
        const message = byId.get(single[1]!);
        if (!message || message.channelId !== channel.id) return apiError(res, 404, 10008, 'Unknown Message');
        if (method === 'GET') return json(res, 200, apiMessage(message, store));
        if (method === 'PATCH') return editMessage(res, message, (record.body ?? {}) as Record<string, unknown>);
      }
    }
    return apiError(res, 404, 0, '404: Not Found');
  }

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...rateLimitHeaders(routeOf.get(res) ?? ''), ...headers });
    res.end(JSON.stringify(body));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const versioned = url.pathname.startsWith('/api/v10/') || url.pathname === '/api/v10';
      let body: unknown;
      try {
        body = raw && String(req.headers['content-type']).startsWith('application/json') ? JSON.parse(raw) : raw || undefined;
      } catch {
        body = raw;
      }
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        route: versioned ? url.pathname.slice('/api/v10'.length) : url.pathname,
        body,
        status: 0,
        authorized: req.headers.authorization === `Bot ${token}`,
      };
      requests.push(record);
      routeOf.set(res, record.route);
      res.on('finish', () => (record.status = res.statusCode));
      if (!versioned) return apiError(res, 404, 0, '404: Not Found');
      if (!record.authorized) return apiError(res, 401, 0, '401: Unauthorized');
      route(res, record).catch((error: unknown) => {
        if (!res.headersSent) apiError(res, 500, 0, String(error));
      });
    });
  });
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  gateway.resumeUrl = `ws://127.0.0.1:${port}/resume`;

  return {
    apiBase: `http://127.0.0.1:${port}/api`,
    token,
    world,
    gateway,
    requests,
    messages,
    typing,
    frames: gateway.frames,
    connections: gateway.connections,
    dmChannel,
    inject,
    botMessages: (channelId) => messages.filter((m) => m.author.id === world.bot.id && (!channelId || m.channelId === channelId)),
    rateLimit({ method, route, retryAfter, times = 1, global = false }) {
      for (let i = 0; i < times; i++) {
        faults.push({
          match: (mth, path) => mth === method && route.test(path),
          status: 429,
          body: { message: 'You are being rate limited.', retry_after: retryAfter, global },
          headers: {
            'retry-after': String(retryAfter),
            'x-ratelimit-limit': '5',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset-after': String(retryAfter),
            'x-ratelimit-reset': String((Date.now() / 1000 + retryAfter).toFixed(3)),
            'x-ratelimit-bucket': 'fake-bucket',
            'x-ratelimit-scope': global ? 'global' : 'user',
            ...(global ? { 'x-ratelimit-global': 'true' } : {}),
          },
        });
      }
    },
    failNext({ method, route, status, code = 0, message = 'Unknown error', times = 1 }) {
      for (let i = 0; i < times; i++) faults.push({ match: (mth, path) => mth === method && route.test(path), status, body: { message, code }, headers: {} });
    },
    waitFor: (probe, what, ms = 5_000) => eventually(probe, what, ms) as never,
    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Headers every Discord REST answer carries; the remaining count stays high so nothing waits. */
function rateLimitHeaders(route: string): Record<string, string> {
  return {
    'x-ratelimit-limit': '50',
    'x-ratelimit-remaining': '49',
    'x-ratelimit-reset-after': '1',
    'x-ratelimit-reset': String((Date.now() / 1000 + 1).toFixed(3)),
    'x-ratelimit-bucket': `bucket-${route.replace(/\d+/g, ':id')}`,
  };
}
