/**
 * Every setting Hearth reads, in one table: where it lives in hearth.config.yaml, which
 * environment variable overrides it, how it is validated, and what to tell the owner when it is
 * wrong. Secrets are read from the environment (or .env) only, so a config file can be shared.
 */
import { z } from 'zod';

export interface Setting {
  /** Dotted path in the config file and in the Config object. */
  path: string;
  env: string;
  schema: z.ZodType;
  secret?: boolean;
  /** What a valid value looks like, used in error messages. */
  hint: string;
}

const url = z.url({ protocol: /^https?$/ });
const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v))]);
const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const ownerList = z
  .string()
  .regex(/^\s*([a-z]+:[^,\s]+)(\s*,\s*[a-z]+:[^,\s]+)*\s*$/, 'expected platform:account pairs separated by commas');

export const settings: Setting[] = [
  { path: 'owner', env: 'HEARTH_OWNER', schema: ownerList.optional(), hint: 'platform:account pairs, e.g. telegram:123456789,discord:80351110224678912' },
  { path: 'dataDir', env: 'HEARTH_DATA_DIR', schema: z.string().min(1).default('./data'), hint: 'a folder path, e.g. ./data' },
  { path: 'databaseUrl', env: 'DATABASE_URL', schema: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(), secret: true, hint: 'postgres://user:password@host:5432/hearth' },
  { path: 'logLevel', env: 'HEARTH_LOG_LEVEL', schema: logLevel.default('info'), hint: 'one of trace, debug, info, warn, error, silent' },

  { path: 'http.port', env: 'HEARTH_HTTP_PORT', schema: port.default(8787), hint: 'a TCP port number such as 8787' },
  { path: 'http.host', env: 'HEARTH_HTTP_HOST', schema: z.string().min(1).default('127.0.0.1'), hint: '127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces)' },

  { path: 'ollama.host', env: 'OLLAMA_HOST', schema: url.default('http://127.0.0.1:11434'), hint: 'http://127.0.0.1:11434' },
  { path: 'ollama.model', env: 'OLLAMA_MODEL', schema: z.string().min(1).default('llama3.2:3b'), hint: 'a model you pulled, e.g. llama3.2:3b (see `ollama list`)' },
  { path: 'ollama.embedModel', env: 'OLLAMA_EMBED_MODEL', schema: z.string().min(1).default('nomic-embed-text'), hint: 'an embedding model, e.g. nomic-embed-text' },
  { path: 'ollama.firstTokenTimeoutMs', env: 'OLLAMA_FIRST_TOKEN_TIMEOUT_MS', schema: positiveMs.default(120_000), hint: 'milliseconds, e.g. 120000 (CPU boxes need minutes for long prompts)' },
  { path: 'ollama.turnTimeoutMs', env: 'OLLAMA_TURN_TIMEOUT_MS', schema: positiveMs.default(300_000), hint: 'milliseconds, e.g. 300000' },
  { path: 'ollama.contextTokens', env: 'OLLAMA_CONTEXT_TOKENS', schema: z.coerce.number().int().min(512).default(4096), hint: 'the model context size in tokens, e.g. 4096' },
  { path: 'ollama.keepAlive', env: 'OLLAMA_KEEP_ALIVE', schema: z.string().default('30m'), hint: 'how long Ollama keeps the model loaded, e.g. 30m' },

  { path: 'agent.name', env: 'HEARTH_AGENT_NAME', schema: z.string().min(1).max(40).default('Hearth'), hint: 'a short name, e.g. Hearth' },
  { path: 'agent.persona', env: 'HEARTH_AGENT_PERSONA', schema: z.string().max(2000).optional(), hint: 'one or two sentences added to the system prompt' },
  { path: 'agent.maxToolSteps', env: 'HEARTH_MAX_TOOL_STEPS', schema: z.coerce.number().int().min(1).max(20).default(4), hint: 'a number from 1 to 20' },
  { path: 'agent.streaming', env: 'HEARTH_STREAMING', schema: bool.default(true), hint: 'true or false' },
  { path: 'agent.concurrency', env: 'HEARTH_CONCURRENCY', schema: z.coerce.number().int().min(1).max(32).default(2), hint: 'turns answered at once, e.g. 2' },
  { path: 'agent.maxAttempts', env: 'HEARTH_MAX_ATTEMPTS', schema: z.coerce.number().int().min(1).max(50).default(8), hint: 'how often a message is retried while the model is down, e.g. 8' },
  { path: 'agent.retryBaseMs', env: 'HEARTH_RETRY_BASE_MS', schema: positiveMs.default(15_000), hint: 'first retry delay in milliseconds, e.g. 15000' },
  { path: 'limits.messagesPerMinute', env: 'HEARTH_MESSAGES_PER_MINUTE', schema: z.coerce.number().int().min(1).default(20), hint: 'messages one person may send per minute, e.g. 20' },

  { path: 'telegram.botToken', env: 'TELEGRAM_BOT_TOKEN', schema: z.string().regex(/^\d+:[\w-]{20,}$/, 'expected the token BotFather gave you, like 123456:ABC-DEF…').optional(), secret: true, hint: 'the token from @BotFather' },
  { path: 'telegram.apiRoot', env: 'TELEGRAM_API_ROOT', schema: url.optional(), hint: 'a Bot API server URL, e.g. http://127.0.0.1:8081' },
  { path: 'telegram.webhookUrl', env: 'TELEGRAM_WEBHOOK_URL', schema: z.url({ protocol: /^https$/ }).optional(), hint: 'the public https:// URL Telegram should post to, ending in /telegram/webhook' },
  { path: 'telegram.webhookSecret', env: 'TELEGRAM_WEBHOOK_SECRET', schema: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, 'expected 16–256 characters of A-Z, a-z, 0-9, _ and -').optional(), secret: true, hint: 'a random string, e.g. from `openssl rand -hex 32`' },

  { path: 'discord.botToken', env: 'DISCORD_BOT_TOKEN', schema: z.string().min(50, 'that is too short to be a Discord bot token').optional(), secret: true, hint: 'the token from Developer Portal → your app → Bot → Reset Token' },
  { path: 'discord.apiBase', env: 'DISCORD_API_BASE', schema: url.optional(), hint: 'a Discord REST base URL, e.g. https://discord.com/api' },

  { path: 'matrix.homeserverUrl', env: 'MATRIX_HOMESERVER_URL', schema: url.optional(), hint: 'your homeserver, e.g. https://matrix.example.org' },
  { path: 'matrix.userId', env: 'MATRIX_USER_ID', schema: z.string().regex(/^@[^:]+:.+$/, 'expected a Matrix ID like @hearth:example.org').optional(), hint: '@hearth:example.org' },
  { path: 'matrix.accessToken', env: 'MATRIX_ACCESS_TOKEN', schema: z.string().min(8).optional(), secret: true, hint: 'the bot account access token' },
];
