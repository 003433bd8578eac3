/**
 * The Telegram adapter: grammY's Bot API client for every call, long polling by default,
 * webhook mode when a public URL is configured. normalize.ts decides what reaches the pipeline,
 * render.ts turns replies into Telegram HTML, polling.ts / webhook.ts receive updates.
 */
import { GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import {
  PlatformConfigError,
  PlatformRejectedError,
  PlatformUnreachableError,
  type Adapter,
  type AdapterCapabilities,
  type AdapterContext,
  type ConversationRef,
  type HealthReport,
  type OutboundMessage,
  type SentMessage,
  handOver,
} from '../../src/core/index.ts';
import { apiSignal, createApi } from './api.ts';
import { registerCommands } from './commands.ts';
import { runDoctor } from './doctor.ts';
import { describe, isEntityError, isNotModified, isTokenRejected, PLATFORM, TOKEN_FIX, tokenRejected, toPlatformError } from './errors.ts';
import { normalizeUpdate, type BotIdentity } from './normalize.ts';
import { sleep, startPolling, type Poller, type PollingOptions } from './polling.ts';
import { renderTelegramHtml, splitForTelegram } from './render.ts';
import { SECRET_PATTERN, webhookRoute } from './webhook.ts';

export interface TelegramAdapterOptions {
  /** TELEGRAM_BOT_TOKEN: from @BotFather. */
  token: string;
  /** TELEGRAM_API_ROOT: another Bot API server (self-hosted telegram-bot-api, tests). */
  apiRoot?: string;
  /** Webhook mode instead of long polling (TELEGRAM_WEBHOOK_URL + TELEGRAM_WEBHOOK_SECRET). */
  webhook?: {
    /** Public HTTPS URL Telegram posts to; it must reach Hearth's HTTP server at `path`. */
    url: string;
    /** Sent back by Telegram in X-Telegram-Bot-Api-Secret-Token: 1–256 of A-Z a-z 0-9 _ -. */
    secret: string;
    /** Route on Hearth's HTTP server; default /telegram/webhook. */
    path?: string;
  };
  polling?: Partial<PollingOptions>;
  /** Longest retry_after (seconds) waited inside a send; longer ones go back to the outbox. */
  maxRetryAfterSeconds?: number;
}

export const TELEGRAM_MAX_MESSAGE_LENGTH = 4096;
const DEFAULT_API_ROOT = 'https://api.telegram.org';
const TOKEN_SHAPE = /^\d+:[A-Za-z0-9_-]+$/;

export function createTelegramAdapter(options: TelegramAdapterOptions): Adapter {
  const apiRoot = (options.apiRoot || DEFAULT_API_ROOT).replace(/\/+$/, '');
  const polling: PollingOptions = { timeoutSeconds: 30, retryMinMs: 1_000, retryMaxMs: 60_000, ...options.polling };
  const api = createApi({ token: options.token, apiRoot, timeoutSeconds: polling.timeoutSeconds + 30, maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 30 });

  const capabilities: AdapterCapabilities = {
    maxMessageLength: TELEGRAM_MAX_MESSAGE_LENGTH,
    markdown: 'telegram-html',
    canEdit: true,
    hasTyping: true,
    hasThreads: true,
    // A chat action shows for 5 s or until the next message (https://core.telegram.org/bots/api#sendchataction).
    typingRefreshMs: 4_500,
    minEditIntervalMs: 1_000,
  };

  let context: AdapterContext | undefined;
  let bot: BotIdentity | undefined;
  let poller: Poller | undefined;
  let running = new AbortController();
  let connecting: Promise<void> | undefined;
  let status: HealthReport = { ok: false, detail: 'not started' };
  const standingBy: HealthReport = { ok: true, detail: 'standing by: another Hearth process is polling Telegram; this one answers and sends' };

  /** Resolves once the update is journaled, ignored or set aside; only then may Telegram forget it. */
  async function handleUpdate(update: Update): Promise<void> {
    const ctx = context;
    const me = bot;
    if (!ctx || !me) throw new Error('telegram adapter is not running');
    const outcome = await handOver(ctx, { eventId: `update:${String(update.update_id)}`, payload: update }, () => {
      const result = normalizeUpdate(update, me);
      if ('message' in result) return result.message;
      ctx.log.debug({ updateId: update.update_id, reason: result.ignored }, 'ignoring Telegram update');
      return undefined;
    });
    if (outcome === 'duplicate') ctx.log.debug({ updateId: update.update_id }, 'Telegram update already journaled');
  }

  const webhookPath = options.webhook?.path ?? '/telegram/webhook';
  const webhook = options.webhook
    ? webhookRoute({ path: webhookPath, secret: options.webhook.secret, context: () => (bot ? context : undefined), handle: handleUpdate })
    : undefined;

  function checkConfig(): void {
    if (!options.token) throw new PlatformConfigError(PLATFORM, 'no bot token is configured', `set TELEGRAM_BOT_TOKEN; to get one, ${TOKEN_FIX}`);
    if (!TOKEN_SHAPE.test(options.token)) throw new PlatformConfigError(PLATFORM, 'TELEGRAM_BOT_TOKEN does not look like a bot token', TOKEN_FIX);
    if (options.webhook) {
      if (!/^https:\/\//i.test(options.webhook.url)) {
        throw new PlatformConfigError(PLATFORM, 'TELEGRAM_WEBHOOK_URL must be an https:// URL', 'use the public HTTPS address that reaches Hearth (Telegram only posts to HTTPS on ports 443, 80, 88 or 8443)');
      }
      if (!SECRET_PATTERN.test(options.webhook.secret ?? '')) {
        throw new PlatformConfigError(PLATFORM, 'TELEGRAM_WEBHOOK_SECRET is missing or has characters Telegram does not allow', 'set it to 1–256 characters of A-Z, a-z, 0-9, _ and - (for example the output of `openssl rand -hex 32`)');
      }
    }
  }

  async function identify(signal?: AbortSignal): Promise<BotIdentity & { readsAllGroupMessages: boolean }> {
    try {
      const me = await api.getMe(signal && apiSignal(signal));
      return { id: me.id, username: me.username, readsAllGroupMessages: me.can_read_all_group_messages };
    } catch (error) {
      if (isTokenRejected(error)) throw tokenRejected();
      if (error instanceof HttpError) {
        throw new PlatformUnreachableError(PLATFORM, `${describe(error)}; is ${apiRoot} reachable from this machine (TELEGRAM_API_ROOT)?`);
      }
      throw toPlatformError(error);
    }
  }

  /** Who we are, the command menu, then webhook registration or the poller. */
  async function connect(ctx: AdapterContext): Promise<void> {
    bot = await identify(running.signal);
    ctx.log.info({ bot: `@${bot.username}`, mode: options.webhook ? 'webhook' : 'polling' }, 'connected to Telegram');
    await registerCommands(api, ctx, running.signal);
    if (options.webhook) {
      try {
        await api.setWebhook(options.webhook.url, { secret_token: options.webhook.secret, allowed_updates: ['message'] }, apiSignal(running.signal));
      } catch (error) {
        if (error instanceof GrammyError && error.error_code === 400) {
          throw new PlatformConfigError(PLATFORM, `Telegram refused the webhook URL (${error.description})`, 'check TELEGRAM_WEBHOOK_URL: a public https:// address with a valid certificate, on port 443, 80, 88 or 8443');
        }
        throw toPlatformError(error);
      }
      status = { ok: true, detail: `receiving updates by webhook at ${webhookPath}` };
      return;
    }
    const poll = {
      async start() {
        try {
          // getUpdates answers 409 while a webhook is set; polling mode means we own delivery.
          await api.deleteWebhook({ drop_pending_updates: false }, apiSignal(running.signal));
        } catch (error) {
          ctx.log.warn({ error: describe(error) }, 'could not remove a Telegram webhook before polling');
        }
        poller = startPolling({ api, state: ctx.state, log: ctx.log, polling, handle: handleUpdate });
      },
      async stop() {
        const stopping = poller;
        poller = undefined;
        status = standingBy;
        await stopping?.stop();
      },
    };
    // Telegram allows one getUpdates at a time per bot: of several Hearth processes on one
    // database only one polls; the others answer turns and send, and take over if it dies.
    status = standingBy;
    if (ctx.exclusive) await ctx.exclusive('polling', poll);
    else await poll.start();
  }


  /** Telegram unreachable at boot (the router still coming up after a power cut): keep trying. */
  async function keepConnecting(ctx: AdapterContext, first: Error): Promise<void> {
    let delay = polling.retryMinMs;
    let last = first;
    while (!running.signal.aborted) {
      status = { ok: false, detail: `waiting for Telegram: ${last.message}` };
      await sleep(delay, running.signal);
      if (running.signal.aborted) return;
      try {
        await connect(ctx);
        return;
      } catch (error) {
        if (!(error instanceof PlatformUnreachableError)) {
          status = { ok: false, detail: (error as Error).message };
          ctx.log.error({ error: status.detail }, 'Telegram did not start');
          return;
        }
        last = error;
        delay = Math.min(polling.retryMaxMs, delay * 2);
      }
    }
  }

  /** One message; if Telegram refuses our HTML, the same words go out as plain text. */
  async function sendOne(chatId: number, markdown: string, other: Record<string, unknown>): Promise<number> {
    const html = renderTelegramHtml(markdown);
    if (html !== '') {
      try {
        const sent = await api.sendMessage(chatId, html, { ...other, parse_mode: 'HTML' }, apiSignal(running.signal));
        return sent.message_id;
      } catch (error) {
        if (!isEntityError(error)) throw error;
        context?.log.warn({ error: describe(error) }, 'Telegram rejected the formatting; sending the reply as plain text');
      }
    }
    const sent = await api.sendMessage(chatId, markdown, other, apiSignal(running.signal));
    return sent.message_id;
  }

  const adapter: Adapter = {
    platform: PLATFORM,
    capabilities,
    ...(webhook ? { webhook } : {}),

    async start(ctx) {
      checkConfig();
      running = new AbortController();
      context = ctx;
      status = { ok: false, detail: 'connecting to Telegram' };
      try {
        await connect(ctx);
      } catch (error) {
        if (!(error instanceof PlatformUnreachableError) || running.signal.aborted) throw error;
        ctx.log.warn({ error: error.message }, 'Telegram is not reachable yet; Hearth keeps trying in the background');
        connecting = keepConnecting(ctx, error);
      }
    },

    async stop() {
      running.abort();
      await connecting;
      connecting = undefined;
      await poller?.stop();
      poller = undefined;
      // Late webhook calls get 503 (Telegram retries them) instead of reaching a stopped pipeline.
      context = undefined;
      status = { ok: false, detail: 'stopped' };
    },

    async send(message: OutboundMessage): Promise<SentMessage> {
      const chatId = Number(message.conversation.id);
      const other: Record<string, unknown> = {};
      if (message.conversation.threadId) other.message_thread_id = Number(message.conversation.threadId);
      // In a group several people talk at once: quote the message being answered. If it was
      // deleted meanwhile, send anyway rather than lose the answer.
      if (message.conversation.kind === 'group' && message.replyToMessageId) {
        other.reply_parameters = { message_id: Number(message.replyToMessageId), allow_sending_without_reply: true };
      }
      // Normally one piece: the outbox chunks at maxMessageLength already.
      const pieces = splitForTelegram(message.text, TELEGRAM_MAX_MESSAGE_LENGTH);
      try {
        let first: number | undefined;
        for (const piece of pieces) {
          const id = await sendOne(chatId, piece, first === undefined ? other : { ...other, reply_parameters: undefined });
          first ??= id;
        }
        return { messageId: String(first) };
      } catch (error) {
        throw toPlatformError(error);
      }
    },

    async edit(conversation: ConversationRef, messageId: string, text: string): Promise<void> {
      const chatId = Number(conversation.id);
      const id = Number(messageId);
      // One message can only show one message's worth: a too-long edit keeps the first piece.
      const markdown = splitForTelegram(text, TELEGRAM_MAX_MESSAGE_LENGTH)[0] ?? text;
      const html = renderTelegramHtml(markdown);
      try {
        try {
          await api.editMessageText(chatId, id, html || markdown, html ? { parse_mode: 'HTML' } : {}, apiSignal(running.signal));
        } catch (error) {
          if (!isEntityError(error)) throw error;
          await api.editMessageText(chatId, id, markdown, {}, apiSignal(running.signal));
        }
      } catch (error) {
        if (isNotModified(error)) return; // the preview already shows this text
        throw toPlatformError(error);
      }
    },

    async deleteMessage(conversation: ConversationRef, messageId: string): Promise<void> {
      try {
        // Bots may delete any message in a private chat that is under 48 hours old (Bot API deleteMessage).
        await api.deleteMessage(Number(conversation.id), Number(messageId), apiSignal(running.signal));
      } catch (error) {
        throw toPlatformError(error);
      }
    },

    async sendTyping(conversation: ConversationRef): Promise<void> {
      const other = conversation.threadId ? { message_thread_id: Number(conversation.threadId) } : {};
      try {
        await api.sendChatAction(Number(conversation.id), 'typing', other, apiSignal(running.signal));
      } catch (error) {
        throw toPlatformError(error);
      }
    },

    /**
     * A private chat's id is the user's id (Bot API: "for private chats, the chat id equals the
     * user id"); Telegram only delivers there once the person has started the bot, which sending
     * reports as a PlatformRejectedError.
     */
    async openDirect(accountId: string): Promise<ConversationRef> {
      if (!/^\d+$/.test(accountId)) throw new PlatformRejectedError(PLATFORM, `"${accountId}" is not a Telegram user id`);
      return { id: accountId, kind: 'direct' };
    },

    health(): HealthReport {
      return poller ? poller.health() : status;
    },

    doctor: () => runDoctor({ api, apiRoot, webhookUrl: options.webhook?.url, checkConfig, identify: () => identify() }),
  };
  return adapter;
}
