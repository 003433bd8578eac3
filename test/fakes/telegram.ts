/**
 * A local Telegram Bot API stand-in: node:http on 127.0.0.1 serving /bot<token>/<method>, for the
 * real grammY client pointed at it through `apiRoot`. It keeps chats, the update queue with
 * getUpdates' offset confirmation and long polling, the messages the bot sent (with Telegram's
 * HTML parsing and 4096 limit), records every call, and injects faults (429, 500, 502, 409,
 * rejections, dropped connections) on demand.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Chat, Message, MessageEntity, Update, User } from 'grammy/types';
import { parseTelegramHtml } from './telegram-html.ts';
import { assertTestLive } from '../helpers/test-scope.ts';

export type TelegramFault =
  | { kind: 'rate-limit'; retryAfter: number }
  /** 500 with Telegram's JSON error body: grammY raises GrammyError(500). */
  | { kind: 'server-error' }
  /** 502 HTML page from a proxy in front of the API: grammY raises HttpError. */
  | { kind: 'bad-gateway' }
  | { kind: 'conflict'; description?: string }
  | { kind: 'reject'; status: number; description: string }
  /** The connection is dropped without an answer. */
  | { kind: 'network' }
  /** The call takes effect at once but its answer comes `ms` later (a slow link). */
  | { kind: 'slow'; ms: number };

export interface RecordedCall {
  method: string;
  params: Record<string, any>;
  status: number;
  fault?: TelegramFault['kind'];
}

/** A message the bot sent, as the chat shows it now (edits applied). */
export interface BotMessage {
  chatId: number;
  messageId: number;
  /** What the person sees: HTML parsed, entities decoded. */
  text: string;
  /** The text parameter exactly as the bot sent it. */
  raw: string;
  parseMode?: string;
  replyTo?: number;
  threadId?: number;
  edits: number;
}

export type MessageContent = Partial<Pick<Message, 'text' | 'entities' | 'caption' | 'caption_entities' | 'photo' | 'document' | 'voice' | 'sticker' | 'new_chat_members' | 'pinned_message'>> & Record<string, unknown>;

export interface PostOptions {
  /** Message id in the same chat being replied to (the bot's or a person's). */
  replyTo?: number;
  /** Forum topic (message_thread_id) the message is posted in. */
  threadId?: number;
}

interface ChatRecord {
  chat: Chat;
  forum: boolean;
  topics: Set<number>;
  nextMessageId: number;
  messages: Map<number, Message>;
}

export interface FakeTelegram {
  /** Give this to grammY / the adapter as apiRoot. */
  apiRoot: string;
  token: string;
  bot: User & { username: string };
  calls: RecordedCall[];
  callsTo(method: string): Array<Record<string, any>>;
  botMessages(chatId?: number): BotMessage[];
  typing(chatId?: number): Array<{ chatId: number; threadId?: number }>;
  commands(): Array<{ command: string; description: string }>;
  webhook(): { url: string; secret?: string } | null;
  /** Unconfirmed updates still queued (getUpdates has not been called with a higher offset). */
  pendingUpdates(): Update[];
  /** The most getUpdates calls that were open at once (Telegram allows one per bot). */
  mostConcurrentPolls(): number;
  fail(method: string, fault: TelegramFault, times?: number): void;
  clearFaults(): void;

  person(id: number, firstName: string, username?: string): User;
  privateChat(user: User): Chat;
  group(id: number, title: string, options?: { supergroup?: boolean; forum?: boolean }): Chat;
  createTopic(chat: Chat, name: string, creator: User): number;
  post(chat: Chat, from: User, content: string | MessageContent, options?: PostOptions): Message;
  editMessage(message: Message, text: string): Update;
  channelPost(chatId: number, title: string, text: string): Update;
  pushUpdate(update: Record<string, unknown>): Update;
  /** `@botname rest` with a mention entity, as a Telegram client produces it. */
  mentionBot(rest: string): { text: string; entities: MessageEntity[] };
  /** `<bot's name> rest` with a text_mention entity pointing at the bot account. */
  textMentionBot(rest: string): { text: string; entities: MessageEntity[] };
  /** `/command rest` with a bot_command entity; `command` may include @botname. */
  command(command: string, rest?: string): { text: string; entities: MessageEntity[] };
  close(): Promise<void>;
}

export async function startFakeTelegram(options: { token?: string; botId?: number; botUsername?: string } = {}): Promise<FakeTelegram> {
  const token = options.token ?? '123456789:AAFakeTokenForHearthTests_0123456789';
  const bot = { id: options.botId ?? 900_001, is_bot: true as const, first_name: 'Hearth', username: options.botUsername ?? 'hearth_test_bot' };
  const calls: RecordedCall[] = [];
  const chats = new Map<number, ChatRecord>();
  const sent: BotMessage[] = [];
  const typing: Array<{ chatId: number; threadId?: number }> = [];
  const faults: Array<{ method: string; fault: TelegramFault; remaining: number }> = [];
  let queue: Update[] = [];
  let nextUpdateId = 500_000;
  let waiters: Array<() => void> = [];
  let openPolls = 0;
  let mostOpenPolls = 0;
  let webhook: { url: string; secret?: string } | null = null;
  let commands: Array<{ command: string; description: string }> = [];
  const now = () => Math.floor(Date.now() / 1000);

  function enqueue(update: Record<string, unknown>): Update {
    assertTestLive('post to the Telegram stand-in');
    const full = { update_id: nextUpdateId++, ...update } as Update;
    queue.push(full);
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
    return full;
  }

  function record(chat: Chat): ChatRecord {
    const existing = chats.get(chat.id);
    if (existing) return existing;
    const created: ChatRecord = { chat, forum: false, topics: new Set(), nextMessageId: 1, messages: new Map() };
    chats.set(chat.id, created);
    return created;
  }

  function takeFault(method: string): TelegramFault | undefined {
    const index = faults.findIndex((f) => f.method === method || f.method === '*');
    if (index === -1) return undefined;
    const entry = faults[index]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  class ApiError extends Error {
    status: number;
    parameters?: Record<string, unknown>;
    constructor(status: number, description: string, parameters?: Record<string, unknown>) {
      super(description);
      this.status = status;
      if (parameters) this.parameters = parameters;
    }
  }
  const badRequest = (description: string) => new ApiError(400, `Bad Request: ${description}`);

  function chatOf(params: Record<string, any>): ChatRecord {
    const chat = chats.get(Number(params.chat_id));
    if (!chat) throw badRequest('chat not found');
    return chat;
  }

  /** Telegram parses parse_mode first, then checks emptiness and the 4096 limit on what is left. */
  function visible(params: Record<string, any>): string {
    const raw = params.text;
    if (typeof raw !== 'string') throw badRequest('message text is empty');
    let text = raw;
    if (params.parse_mode === 'HTML') {
      const parsed = parseTelegramHtml(raw);
      if (!parsed.ok) throw badRequest(`can't parse entities: ${parsed.error}`);
      text = parsed.text;
    }
    if (text.trim() === '') throw badRequest('message text is empty');
    if (text.length > 4096) throw badRequest('message is too long');
    return text;
  }

  const methods: Record<string, (params: Record<string, any>, res: ServerResponse) => unknown> = {
    getMe: () => ({ ...bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false }),

    getUpdates: async (params, res) => {
      if (webhook) throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
      const offset = typeof params.offset === 'number' ? params.offset : undefined;
      if (offset !== undefined && offset > 0) queue = queue.filter((u) => u.update_id >= offset);
      const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
      const timeout = Math.min(50, Math.max(0, Number(params.timeout ?? 0)));
      openPolls += 1;
      mostOpenPolls = Math.max(mostOpenPolls, openPolls);
      let counted = true;
      const closed = () => {
        if (counted) openPolls -= 1;
        counted = false;
      };
      res.once('close', closed);
      if (queue.length === 0 && timeout > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeout * 1000);
          function done() {
            clearTimeout(timer);
            res.off('close', done);
            resolve();
          }
          waiters.push(done);
          res.on('close', done);
        });
      }
      return queue.slice(0, limit);
    },

    sendMessage: (params) => {
      const chat = chatOf(params);
      const text = visible(params);
      const threadId = params.message_thread_id === undefined ? undefined : Number(params.message_thread_id);
      if (chat.forum && threadId !== undefined && !chat.topics.has(threadId)) throw badRequest('message thread not found');
      const replyTo = params.reply_parameters?.message_id as number | undefined;
      const original = replyTo === undefined ? undefined : chat.messages.get(replyTo);
      if (replyTo !== undefined && !original && !params.reply_parameters?.allow_sending_without_reply) throw badRequest('message to be replied not found');
      const message = {
        message_id: chat.nextMessageId++,
        from: bot,
        chat: chat.chat,
        date: now(),
        text,
        ...(threadId !== undefined && chat.forum ? { message_thread_id: threadId, is_topic_message: true } : {}),
        ...(original ? { reply_to_message: original } : {}),
      } as Message;
      chat.messages.set(message.message_id, message);
      sent.push({
        chatId: chat.chat.id,
        messageId: message.message_id,
        text,
        raw: params.text,
        ...(params.parse_mode ? { parseMode: params.parse_mode } : {}),
        ...(original ? { replyTo } : {}),
        ...(threadId !== undefined ? { threadId } : {}),
        edits: 0,
      });
      return message;
    },

    editMessageText: (params) => {
      const chat = chatOf(params);
      const mine = sent.find((m) => m.chatId === chat.chat.id && m.messageId === Number(params.message_id));
      if (!mine) throw badRequest('message to edit not found');
      const text = visible(params);
      if (text === mine.text && params.text === mine.raw) {
        throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      }
      mine.text = text;
      mine.raw = params.text;
      if (params.parse_mode) mine.parseMode = params.parse_mode;
      else delete mine.parseMode;
      mine.edits += 1;
      const message = { ...chat.messages.get(mine.messageId)!, text, edit_date: now() } as Message;
      chat.messages.set(mine.messageId, message);
      return message;
    },

    sendChatAction: (params) => {
      const chat = chatOf(params);
      if (params.action !== 'typing') throw badRequest('wrong parameter action in request');
      typing.push({ chatId: chat.chat.id, ...(params.message_thread_id !== undefined ? { threadId: Number(params.message_thread_id) } : {}) });
      return true;
    },

    setMyCommands: (params) => {
      const list = params.commands as Array<{ command: string; description: string }>;
      if (!Array.isArray(list) || list.some((c) => !/^[a-z0-9_]{1,32}$/.test(c.command) || !c.description)) throw badRequest('BOT_COMMAND_INVALID');
      commands = list.map(({ command, description }) => ({ command, description }));
      return true;
    },
    getMyCommands: () => commands,

    setWebhook: (params) => {
      if (typeof params.url !== 'string' || !params.url.startsWith('https://')) throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      if (params.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(params.secret_token)) throw badRequest('secret token contains unallowed characters');
      webhook = { url: params.url, ...(params.secret_token ? { secret: params.secret_token } : {}) };
      if (params.drop_pending_updates) queue = [];
      return true;
    },
    deleteWebhook: (params) => {
      webhook = null;
      if (params.drop_pending_updates) queue = [];
      return true;
    },
    getWebhookInfo: () => ({ url: webhook?.url ?? '', has_custom_certificate: false, pending_update_count: queue.length }),

    getFile: (params) => {
      if (typeof params.file_id !== 'string' || params.file_id === '') throw badRequest('invalid file_id');
      return { file_id: params.file_id, file_unique_id: `u-${params.file_id}`, file_size: 1024, file_path: `documents/${params.file_id}` };
    },
  };

  async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, any>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const params: Record<string, any> = Object.fromEntries(url.searchParams);
    if (!body) return params;
    if ((req.headers['content-type'] ?? '').includes('application/json')) return { ...params, ...JSON.parse(body) };
    return { ...params, ...Object.fromEntries(new URLSearchParams(body)) };
  }

  function reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    let params: Record<string, any> = {};
    try {
      params = await readParams(req, url);
    } catch {
      return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
    }
    const method = match?.[2] ?? url.pathname;
    const call: RecordedCall = { method, params, status: 200 };
    calls.push(call);
    if (!match || !methods[method]) {
      call.status = 404;
      return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    }
    if (match[1] !== token) {
      call.status = 401;
      return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    }
    const fault = takeFault(method);
    let answerDelayMs = 0;
    if (fault?.kind === 'slow') {
      call.fault = fault.kind;
      answerDelayMs = fault.ms;
    } else if (fault) {
      call.fault = fault.kind;
      switch (fault.kind) {
        case 'network':
          call.status = 0;
          req.socket.destroy();
          return;
        case 'bad-gateway':
          call.status = 502;
          res.writeHead(502, { 'content-type': 'text/html' });
          return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        case 'rate-limit':
          call.status = 429;
          return reply(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${fault.retryAfter}`, parameters: { retry_after: fault.retryAfter } });
        case 'server-error':
          call.status = 500;
          return reply(res, 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
        case 'conflict':
          call.status = 409;
          return reply(res, 409, { ok: false, error_code: 409, description: fault.description ?? 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
        case 'reject':
          call.status = fault.status;
          return reply(res, fault.status, { ok: false, error_code: fault.status, description: fault.description });
      }
    }
    try {
      const result = await methods[method]!(params, res);
      if (answerDelayMs) await new Promise((resolve) => setTimeout(resolve, answerDelayMs));
      reply(res, 200, { ok: true, result });
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 500;
      call.status = status;
      const description = error instanceof Error ? error.message : String(error);
      reply(res, status, { ok: false, error_code: status, description, ...(error instanceof ApiError && error.parameters ? { parameters: error.parameters } : {}) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function postMessage(chat: Chat, from: User, content: string | MessageContent, options: PostOptions = {}): Message {
    const rec = record(chat);
    const body = typeof content === 'string' ? { text: content } : content;
    const original = options.replyTo === undefined ? undefined : rec.messages.get(options.replyTo);
    if (options.replyTo !== undefined && !original) throw new Error(`fake telegram: no message ${options.replyTo} in chat ${chat.id}`);
    const topicRoot = options.threadId === undefined ? undefined : rec.messages.get(options.threadId);
    const message = {
      message_id: rec.nextMessageId++,
      from,
      chat,
      date: now(),
      ...(options.threadId !== undefined ? { message_thread_id: options.threadId, is_topic_message: true } : {}),
      // Telegram quirk: a message in a forum topic that replies to nothing "replies" to the topic root.
      ...(original ? { reply_to_message: original } : topicRoot ? { reply_to_message: topicRoot } : {}),
      ...body,
    } as Message;
    rec.messages.set(message.message_id, message);
    enqueue({ message });
    return message;
  }

  const entityFor = (text: string, needle: string, extra: Partial<MessageEntity> & { type: MessageEntity['type'] }) =>
    ({ offset: text.indexOf(needle), length: needle.length, ...extra }) as MessageEntity;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    bot,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method).map((c) => c.params),
    botMessages: (chatId) => sent.filter((m) => chatId === undefined || m.chatId === chatId),
    typing: (chatId) => typing.filter((t) => chatId === undefined || t.chatId === chatId),
    commands: () => commands,
    webhook: () => webhook,
    pendingUpdates: () => [...queue],
    mostConcurrentPolls: () => mostOpenPolls,
    fail(method, fault, times = 1) {
      assertTestLive('script a Telegram fault');
      faults.push({ method, fault, remaining: times });
    },
    clearFaults() {
      faults.length = 0;
    },

    person: (id, firstName, username) => ({ id, is_bot: false, first_name: firstName, ...(username ? { username } : {}) }),
    privateChat(user) {
      const chat = { id: user.id, type: 'private', first_name: user.first_name, ...(user.username ? { username: user.username } : {}) } as Chat;
      record(chat);
      return chat;
    },
    group(id, title, options = {}) {
      const supergroup = options.supergroup || options.forum;
      const chat = { id, type: supergroup ? 'supergroup' : 'group', title, ...(options.forum ? { is_forum: true } : {}) } as Chat;
      record(chat).forum = Boolean(options.forum);
      return chat;
    },
    createTopic(chat, name, creator) {
      const rec = record(chat);
      const message = { message_id: rec.nextMessageId++, from: creator, chat, date: now(), forum_topic_created: { name, icon_color: 7322096 } } as unknown as Message;
      const threadId = message.message_id;
      Object.assign(message, { message_thread_id: threadId, is_topic_message: true });
      rec.messages.set(threadId, message);
      rec.topics.add(threadId);
      enqueue({ message });
      return threadId;
    },
    post: postMessage,
    editMessage(message, text) {
      return enqueue({ edited_message: { ...message, text, edit_date: now() } });
    },
    channelPost(chatId, title, text) {
      const chat = { id: chatId, type: 'channel', title } as Chat;
      const rec = record(chat);
      return enqueue({ channel_post: { message_id: rec.nextMessageId++, chat, date: now(), text, sender_chat: chat } });
    },
    pushUpdate: (update) => enqueue(update),
    mentionBot(rest) {
      const text = `@${bot.username} ${rest}`;
      return { text, entities: [entityFor(text, `@${bot.username}`, { type: 'mention' })] };
    },
    textMentionBot(rest) {
      const text = `${bot.first_name} ${rest}`;
      return { text, entities: [entityFor(text, bot.first_name, { type: 'text_mention', user: bot } as Partial<MessageEntity> & { type: 'text_mention' })] };
    },
    command(command, rest) {
      const text = rest ? `${command} ${rest}` : command;
      return { text, entities: [entityFor(text, command, { type: 'bot_command' })] };
    },
    async close() {
      for (const wake of waiters) wake();
      waiters = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
