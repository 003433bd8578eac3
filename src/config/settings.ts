/**
 * Every setting Hearth reads, in one table: where it lives in hearth.config.yaml, which
 * environment variable overrides it, how it is validated, and what to tell the owner when it is
 * wrong. Secrets are read from the environment (or .env) only, so a config file can be shared.
 */
import { z } from 'zod';
import { parseRoleNames, parseRoleTools, parseUnknownSenderRules, validSpec } from '../access/policy.ts';

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

  // People, permissions and audit (src/access, src/audit).
  { path: 'limits.guestMessagesPerMinute', env: 'HEARTH_GUEST_MESSAGES_PER_MINUTE', schema: z.coerce.number().int().min(1).default(6), hint: 'messages a guest may send per minute, e.g. 6' },
  { path: 'limits.tokensPerDay', env: 'HEARTH_TOKENS_PER_DAY', schema: z.coerce.number().int().min(0).default(200_000), hint: 'model tokens (prompt + answer) a member may use per UTC day, 0 for no limit, e.g. 200000' },
  { path: 'limits.guestTokensPerDay', env: 'HEARTH_GUEST_TOKENS_PER_DAY', schema: z.coerce.number().int().min(0).default(20_000), hint: 'model tokens a guest may use per UTC day, 0 for no limit, e.g. 20000' },
  { path: 'access.roleNames', env: 'HEARTH_ROLE_NAMES', schema: z.string().refine(validSpec(parseRoleNames), 'expected role=name pairs').default('owner=owner,member=member,guest=guest'), hint: 'role=name pairs, e.g. owner=parent,member=family,guest=friend' },
  { path: 'access.ownerTools', env: 'HEARTH_OWNER_TOOLS', schema: z.string().refine(validSpec(parseRoleTools), 'expected risk=decision or tool=decision pairs').default('read=allow,write=allow,external=allow'), hint: 'risk=decision pairs (read, write, external = allow, ask, deny), optionally tool=decision, e.g. read=allow,write=allow,external=allow' },
  { path: 'access.memberTools', env: 'HEARTH_MEMBER_TOOLS', schema: z.string().refine(validSpec(parseRoleTools), 'expected risk=decision or tool=decision pairs').default('read=allow,write=allow,external=ask'), hint: 'e.g. read=allow,write=allow,external=ask' },
  { path: 'access.guestTools', env: 'HEARTH_GUEST_TOOLS', schema: z.string().refine(validSpec(parseRoleTools), 'expected risk=decision or tool=decision pairs').default('read=allow,write=deny,external=deny'), hint: 'e.g. read=allow,write=deny,external=deny' },
  { path: 'access.unknownSenders', env: 'HEARTH_UNKNOWN_SENDERS', schema: z.string().refine(validSpec(parseUnknownSenderRules), 'expected scope=refuse|pairing|open pairs').default('direct=pairing,group=refuse'), hint: 'scope=policy pairs; scope is direct, group, a platform, platform:direct, platform:group or platform:<room id>; policy is refuse, pairing or open, e.g. direct=pairing,group=refuse,discord:123456=open' },
  { path: 'access.approvers', env: 'HEARTH_APPROVERS', schema: z.string().min(1).default('owner'), hint: '"owner", or person ids / platform:account pairs separated by commas, who answer `ask` requests' },
  { path: 'access.approvalTimeoutMs', env: 'HEARTH_APPROVAL_TIMEOUT_MS', schema: positiveMs.default(120_000), hint: 'how long an approval request waits for an answer, in milliseconds, e.g. 120000' },
  { path: 'access.pairingCodeTtlMs', env: 'HEARTH_PAIRING_CODE_TTL_MS', schema: positiveMs.default(3_600_000), hint: 'how long a pairing code stays valid, in milliseconds, e.g. 3600000 (an hour)' },
  { path: 'access.maxPendingPairings', env: 'HEARTH_MAX_PENDING_PAIRINGS', schema: z.coerce.number().int().min(1).max(1000).default(10), hint: 'how many strangers may wait for approval at once, e.g. 10' },
  { path: 'access.linkCodeTtlMs', env: 'HEARTH_LINK_CODE_TTL_MS', schema: positiveMs.default(600_000), hint: 'how long a /link code stays valid, in milliseconds, e.g. 600000 (ten minutes)' },
  { path: 'access.adminToken', env: 'HEARTH_ADMIN_TOKEN', schema: z.string().min(24, 'use at least 24 characters, e.g. from `openssl rand -hex 32`').optional(), secret: true, hint: 'a long random string, e.g. from `openssl rand -hex 32`; without it the admin API is off' },
  { path: 'audit.retentionDays', env: 'HEARTH_AUDIT_RETENTION_DAYS', schema: z.coerce.number().int().min(0).default(365), hint: 'days audit records are kept, 0 to keep them forever, e.g. 365' },
  { path: 'memory.recallLimit', env: 'HEARTH_MEMORY_RECALL_LIMIT', schema: z.coerce.number().int().min(0).max(50).default(8), hint: 'how many memories may be recalled into one prompt, e.g. 8 (0 turns recall off)' },
  { path: 'memory.recallChars', env: 'HEARTH_MEMORY_RECALL_CHARS', schema: z.coerce.number().int().min(100).max(20_000).default(1500), hint: 'characters of recalled memories per prompt, e.g. 1500' },
  { path: 'memory.maxChars', env: 'HEARTH_MEMORY_MAX_CHARS', schema: z.coerce.number().int().min(20).max(10_000).default(1000), hint: 'the longest memory text accepted, in characters, e.g. 1000' },
  { path: 'memory.autoExtract', env: 'HEARTH_MEMORY_AUTO_EXTRACT', schema: bool.default(false), hint: 'true to let the model keep durable facts from conversations on its own (never for guests), false otherwise' },
  { path: 'memory.summaries', env: 'HEARTH_MEMORY_SUMMARIES', schema: bool.default(true), hint: 'true to summarize old turns of long conversations instead of dropping them' },
  { path: 'memory.historyTokens', env: 'HEARTH_HISTORY_TOKENS', schema: z.coerce.number().int().min(128).optional(), hint: 'tokens of conversation history per prompt; default: what OLLAMA_CONTEXT_TOKENS leaves after answer, system prompt, tools and memories' },
  { path: 'memory.embedTimeoutMs', env: 'OLLAMA_EMBED_TIMEOUT_MS', schema: positiveMs.default(15_000), hint: 'milliseconds to wait for an embedding, e.g. 15000' },
  { path: 'memory.retryIntervalMs', env: 'HEARTH_MEMORY_RETRY_MS', schema: positiveMs.default(60_000), hint: 'how often memories saved while Ollama was down are embedded again, in milliseconds, e.g. 60000' },
  { path: 'memory.efSearch', env: 'HEARTH_MEMORY_EF_SEARCH', schema: z.coerce.number().int().min(10).max(1000).default(120), hint: 'HNSW search breadth (pgvector hnsw.ef_search), e.g. 120; higher finds more, slower' },
];
