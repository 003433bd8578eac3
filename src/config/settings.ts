/**
 * Every setting Hearth reads, in one table: where it lives in hearth.config.yaml, which
 * environment variable overrides it, how it is validated, and what to tell the owner when it is
 * wrong. Secrets are read from the environment (or .env) only, so a config file can be shared.
 */
import { z } from 'zod';
import { parseRoleNames, parseRoleTools, parseUnknownSenderRules, validSpec } from '../access/policy.ts';
import { canonicalTimeZone, systemTimeZone } from '../time/zone.ts';
import { validAddressList } from '../tools/builtin/web/address-guard.ts';
import { MCP_SERVERS_HINT, mcpServersSchema, readMcpConfigFile } from '../mcp/config.ts';
import type { Section } from './sections.ts';
import { hostList, OLLAMA_SERVERS_HINT, ollamaServersSchema } from '../agent/servers.ts';

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
/** "6h", "90m", "30s", "1d" or plain milliseconds. */
const duration = z.union([z.number().int().positive(), z.string().trim().regex(/^\d+\s*(ms|s|m|h|d)?$/i, 'expected a duration such as 6h, 90m or 30s').transform(parseDuration)]);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v))]);
const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const ownerList = z
  .string()
  .regex(/^\s*([a-z]+:[^,\s]+)(\s*,\s*[a-z]+:[^,\s]+)*\s*$/, 'expected platform:account pairs separated by commas');

function parseDuration(text: string): number {
  const [, amount, unit] = /^(\d+)\s*(ms|s|m|h|d)?$/i.exec(text)!;
  const size = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(unit ?? 'ms').toLowerCase() as 'ms'];
  return Number(amount) * size;
}

export const settings: Setting[] = [
  { path: 'owner', env: 'HEARTH_OWNER', schema: ownerList.optional(), hint: 'platform:account pairs, e.g. telegram:123456789,discord:80351110224678912' },
  { path: 'dataDir', env: 'HEARTH_DATA_DIR', schema: z.string().min(1).default('./data'), hint: 'a folder path, e.g. ./data' },
  { path: 'databaseUrl', env: 'DATABASE_URL', schema: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(), secret: true, hint: 'postgres://user:password@host:5432/hearth' },
  { path: 'timezone', env: 'HEARTH_TIMEZONE', schema: z.string().refine((zone) => Boolean(canonicalTimeZone(zone)), 'not an IANA time zone name').transform((zone) => canonicalTimeZone(zone)!).default(systemTimeZone), hint: 'an IANA time zone name such as Europe/Berlin or America/New_York (default: this machine\'s)' },
  { path: 'secretKey', env: 'HEARTH_SECRET_KEY', schema: z.string().min(1).optional(), secret: true, hint: '64 hex characters (`openssl rand -hex 32`) that encrypt people\'s calendar and mail passwords; default: a key generated once into secret.key in the data folder' },
  { path: 'logLevel', env: 'HEARTH_LOG_LEVEL', schema: logLevel.default('info'), hint: 'one of trace, debug, info, warn, error, silent' },
  { path: 'logFormat', env: 'HEARTH_LOG_FORMAT', schema: z.enum(['auto', 'pretty', 'json']).default('auto'), hint: 'auto (readable lines on a terminal, JSON otherwise), pretty or json' },

  { path: 'http.port', env: 'HEARTH_HTTP_PORT', schema: port.default(8787), hint: 'a TCP port number such as 8787' },
  { path: 'http.host', env: 'HEARTH_HTTP_HOST', schema: z.string().min(1).default('127.0.0.1'), hint: '127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces)' },
  { path: 'http.bodyLimitBytes', env: 'HEARTH_HTTP_BODY_LIMIT_BYTES', schema: z.coerce.number().int().min(1024).max(1024 ** 3).default(1024 * 1024), hint: 'the largest request body the webhook and admin API accept, in bytes, e.g. 1048576 (1 MB, the default)' },

  { path: 'ollama.host', env: 'OLLAMA_HOST', schema: hostList.default('http://127.0.0.1:11434'), hint: 'http://127.0.0.1:11434, or several servers separated by commas: http://10.0.0.5:11434,http://10.0.0.6:11434' },
  { path: 'ollama.embedHost', env: 'OLLAMA_EMBED_HOST', schema: hostList.optional(), hint: 'the Ollama server(s) for embeddings when they should not go to OLLAMA_HOST, e.g. http://10.0.0.7:11434' },
  { path: 'ollama.serverRetryMs', env: 'OLLAMA_SERVER_RETRY_MS', schema: positiveMs.default(10_000), hint: 'how long an Ollama server that failed is left out before it is tried again, in milliseconds, e.g. 10000 (doubles while it keeps failing, up to 2 minutes)' },
  { path: 'ollama.serverConcurrency', env: 'OLLAMA_SERVER_CONCURRENCY', schema: z.coerce.number().int().min(1).max(64).default(2), hint: 'chat requests one Ollama server gets at once, e.g. 1 for a CPU-only box (more wait in Hearth)' },
  { path: 'ollama.model', env: 'OLLAMA_MODEL', schema: z.string().min(1).default('qwen2.5:3b'), hint: 'a model you pulled, e.g. qwen2.5:3b (see `ollama list`)' },
  { path: 'ollama.embedModel', env: 'OLLAMA_EMBED_MODEL', schema: z.string().min(1).default('nomic-embed-text'), hint: 'an embedding model, e.g. nomic-embed-text' },
  { path: 'ollama.firstTokenTimeoutMs', env: 'OLLAMA_FIRST_TOKEN_TIMEOUT_MS', schema: positiveMs.default(120_000), hint: 'milliseconds, e.g. 120000 (CPU boxes need minutes for long prompts)' },
  { path: 'ollama.slowNoticeMs', env: 'OLLAMA_SLOW_NOTICE_MS', schema: positiveMs.default(15_000), hint: 'milliseconds without a first word before the person is told the answer is coming, e.g. 15000' },
  { path: 'ollama.turnTimeoutMs', env: 'OLLAMA_TURN_TIMEOUT_MS', schema: positiveMs.default(300_000), hint: 'milliseconds, e.g. 300000' },
  { path: 'ollama.contextTokens', env: 'OLLAMA_CONTEXT_TOKENS', schema: z.coerce.number().int().min(512).default(4096), hint: 'the model context size in tokens, e.g. 4096' },
  { path: 'ollama.keepAlive', env: 'OLLAMA_KEEP_ALIVE', schema: z.string().default('30m'), hint: 'how long Ollama keeps the model loaded, e.g. 30m' },
  { path: 'ollama.embedTimeoutMs', env: 'OLLAMA_EMBED_TIMEOUT_MS', schema: positiveMs.default(15_000), hint: 'milliseconds to wait for an embedding, e.g. 15000' },

  { path: 'agent.name', env: 'HEARTH_AGENT_NAME', schema: z.string().min(1).max(40).default('Hearth'), hint: 'a short name, e.g. Hearth' },
  { path: 'agent.persona', env: 'HEARTH_AGENT_PERSONA', schema: z.string().max(2000).optional(), hint: 'one or two sentences added to the system prompt' },
  { path: 'agent.maxToolSteps', env: 'HEARTH_MAX_TOOL_STEPS', schema: z.coerce.number().int().min(1).max(20).default(4), hint: 'a number from 1 to 20' },
  { path: 'agent.maxOfferedTools', env: 'HEARTH_MAX_OFFERED_TOOLS', schema: z.coerce.number().int().min(0).max(200).default(8), hint: 'how many tools the model is first shown in a conversation, e.g. 8: with more available, the most relevant are offered plus find_tools to reach the rest; 0 offers every tool' },
  { path: 'agent.maxOfferedToolChars', env: 'HEARTH_MAX_OFFERED_TOOL_CHARS', schema: z.coerce.number().int().min(0).max(1_000_000).default(3_400), hint: 'characters of tool schemas the tools first offered in a conversation may take (find_tools aside), e.g. 3400: a relevant tool that does not fit is passed over for the next that does; 0 for no limit' },
  { path: 'agent.streaming', env: 'HEARTH_STREAMING', schema: bool.default(true), hint: 'true or false' },
  { path: 'agent.concurrency', env: 'HEARTH_CONCURRENCY', schema: z.coerce.number().int().min(1).max(32).default(2), hint: 'turns answered at once, e.g. 2' },
  { path: 'agent.maxAttempts', env: 'HEARTH_MAX_ATTEMPTS', schema: z.coerce.number().int().min(1).max(50).default(8), hint: 'how often a message is retried while the model is down, e.g. 8' },
  { path: 'agent.retryBaseMs', env: 'HEARTH_RETRY_BASE_MS', schema: positiveMs.default(15_000), hint: 'first retry delay in milliseconds, e.g. 15000' },
  { path: 'cluster.takeoverSeconds', env: 'HEARTH_TAKEOVER_SECONDS', schema: z.coerce.number().int().min(3).max(300).default(15), hint: 'seconds, e.g. 15: with several Hearth processes on one PostgreSQL, how soon another takes over a platform connection whose process died' },
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
  { path: 'matrix.encryption', env: 'MATRIX_ENCRYPTION', schema: bool.default(true), hint: 'true to read and answer end-to-end encrypted rooms (keys kept in HEARTH_DATA_DIR/matrix), false to stay out of them' },
  { path: 'matrix.recoveryKey', env: 'MATRIX_RECOVERY_KEY', schema: z.string().regex(/^E[sS][1-9A-HJ-NP-Za-km-z ]{40,}$/, 'expected the recovery key Hearth wrote to recovery-key.txt, like "EsTc 1234 …"').optional(), secret: true, hint: 'only when moving Hearth to a new Matrix device (a lost data folder or a new access token): the recovery key from recovery-key.txt, so the new device keeps Hearth\'s identity and restores its room keys from the backup' },
  { path: 'matrix.verifiedDevicesOnly', env: 'MATRIX_VERIFIED_DEVICES_ONLY', schema: bool.default(false), hint: 'true to encrypt only to (and read only from) devices their owner verified, false to encrypt to all members\' devices as Element does' },

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
  { path: 'access.claimCodeTtlMs', env: 'HEARTH_CLAIM_CODE_TTL_MS', schema: positiveMs.default(900_000), hint: 'how long the owner claim code of `hearth setup` / `hearth owner claim` stays valid, in milliseconds, e.g. 900000 (fifteen minutes)' },
  { path: 'access.adminToken', env: 'HEARTH_ADMIN_TOKEN', schema: z.string().min(24, 'use at least 24 characters, e.g. from `openssl rand -hex 32`').optional(), secret: true, hint: 'a long random string, e.g. from `openssl rand -hex 32`; without it the admin API is off and the web admin takes only `hearth admin link` links' },
  { path: 'audit.retentionDays', env: 'HEARTH_AUDIT_RETENTION_DAYS', schema: z.coerce.number().int().min(0).default(365), hint: 'days audit records are kept, 0 to keep them forever, e.g. 365' },
  { path: 'memory.recallLimit', env: 'HEARTH_MEMORY_RECALL_LIMIT', schema: z.coerce.number().int().min(0).max(50).default(8), hint: 'how many memories may be recalled into one prompt, e.g. 8 (0 turns recall off)' },
  { path: 'memory.recallChars', env: 'HEARTH_MEMORY_RECALL_CHARS', schema: z.coerce.number().int().min(100).max(20_000).default(1500), hint: 'characters of recalled memories per prompt, e.g. 1500' },
  { path: 'memory.maxChars', env: 'HEARTH_MEMORY_MAX_CHARS', schema: z.coerce.number().int().min(20).max(10_000).default(1000), hint: 'the longest memory text accepted, in characters, e.g. 1000' },
  { path: 'memory.autoExtract', env: 'HEARTH_MEMORY_AUTO_EXTRACT', schema: bool.default(false), hint: 'true to let the model keep durable facts from conversations on its own (never for guests), false otherwise' },
  { path: 'memory.summaries', env: 'HEARTH_MEMORY_SUMMARIES', schema: bool.default(true), hint: 'true to summarize old turns of long conversations instead of dropping them' },
  { path: 'memory.historyTokens', env: 'HEARTH_MEMORY_HISTORY_TOKENS', schema: z.coerce.number().int().min(128).optional(), hint: 'tokens of conversation history per prompt; default: what OLLAMA_CONTEXT_TOKENS leaves after answer, system prompt, tools and memories' },
  { path: 'memory.retryIntervalMs', env: 'HEARTH_MEMORY_RETRY_MS', schema: positiveMs.default(60_000), hint: 'how often memories saved while Ollama was down are embedded again, in milliseconds, e.g. 60000' },
  // Tools from MCP servers (src/mcp); the servers themselves are the `mcp.servers` section below.
  { path: 'mcp.configFile', env: 'HEARTH_MCP_CONFIG', schema: z.string().min(1).optional(), hint: 'a JSON file holding {"mcpServers": {…}}, e.g. ./mcp.json (the servers add to mcp.servers in the config file)' },
  { path: 'mcp.timeoutMs', env: 'HEARTH_MCP_TIMEOUT_MS', schema: positiveMs.default(60_000), hint: 'how long one MCP tool call may take before it is cancelled, in milliseconds, e.g. 60000 (a server\'s timeoutMs overrides it)' },
  { path: 'mcp.maxOutputChars', env: 'HEARTH_MCP_MAX_OUTPUT_CHARS', schema: z.coerce.number().int().min(200).max(200_000).default(4_000), hint: 'characters of one MCP tool result given to the model, e.g. 4000; longer results are cut with a note' },
  // The built-in web_fetch tool (src/tools/builtin/web-fetch.ts).
  { path: 'webFetch.enabled', env: 'HEARTH_WEB_FETCH', schema: bool.default(true), hint: 'true to offer the web_fetch tool (risk external: owner yes, members after approval, guests no, unless grants say otherwise), false to leave it out' },
  { path: 'webFetch.timeoutMs', env: 'HEARTH_WEB_FETCH_TIMEOUT_MS', schema: positiveMs.default(15_000), hint: 'how long one fetch may take, redirects included, in milliseconds, e.g. 15000' },
  { path: 'webFetch.maxBytes', env: 'HEARTH_WEB_FETCH_MAX_BYTES', schema: z.coerce.number().int().min(1_000).max(50_000_000).default(2_000_000), hint: 'bytes of a page downloaded at most, e.g. 2000000; the rest is not read' },
  { path: 'webFetch.maxChars', env: 'HEARTH_WEB_FETCH_MAX_CHARS', schema: z.coerce.number().int().min(200).max(200_000).default(6_000), hint: 'characters of page text given to the model, e.g. 6000; longer pages are cut with a note' },
  { path: 'webFetch.allowAddresses', env: 'HEARTH_WEB_FETCH_ALLOW_ADDRESSES', schema: z.string().refine(validAddressList, 'expected IP addresses or CIDR ranges separated by commas').optional(), hint: 'private addresses web_fetch may reach anyway, e.g. 192.168.1.20,10.0.0.0/8 (by default only public addresses are fetched)' },
  { path: 'webFetch.allowDomains', env: 'HEARTH_WEB_FETCH_ALLOW_DOMAINS', schema: z.string().optional(), hint: 'if set, the only domains web_fetch may reach (subdomains included), e.g. wikipedia.org,example.com' },
  { path: 'webFetch.denyDomains', env: 'HEARTH_WEB_FETCH_DENY_DOMAINS', schema: z.string().optional(), hint: 'domains web_fetch refuses (subdomains included), e.g. facebook.com' },
  { path: 'memory.efSearch', env: 'HEARTH_MEMORY_EF_SEARCH', schema: z.coerce.number().int().min(10).max(1000).default(120), hint: 'HNSW search breadth (pgvector hnsw.ef_search), e.g. 120; higher finds more, slower' },

  // Calendar and mail accounts (src/calendar, src/mail, src/vault).
  { path: 'accounts.timeoutMs', env: 'HEARTH_ACCOUNT_TIMEOUT_MS', schema: positiveMs.default(20_000), hint: 'how long one calendar or mail server request may take, in milliseconds, e.g. 20000' },

  // Backups (src/backup).
  { path: 'backup.dir', env: 'HEARTH_BACKUP_DIR', schema: z.string().min(1).optional(), hint: 'a folder for backups, e.g. /mnt/usb/hearth-backups; default: backups/ in the data folder' },
  { path: 'backup.keepBeforeMigration', env: 'HEARTH_BACKUP_KEEP_BEFORE_MIGRATION', schema: z.coerce.number().int().min(0).max(100).default(3), hint: 'how many automatic backups taken before database migrations to keep, e.g. 3 (0 migrates without a backup)' },
  { path: 'backup.daily', env: 'HEARTH_BACKUP_DAILY', schema: bool.default(false), hint: 'true to take a backup once a day, false otherwise' },
  { path: 'backup.keepDaily', env: 'HEARTH_BACKUP_KEEP_DAILY', schema: z.coerce.number().int().min(1).max(365).default(7), hint: 'how many daily backups to keep, e.g. 7' },

  // Reminders and routines (src/schedule).
  { path: 'schedule.graceMs', env: 'HEARTH_REMINDER_GRACE', schema: duration.default(6 * 3_600_000), hint: 'how late a reminder missed while Hearth was down may still fire, e.g. 6h, 90m or 30s (later ones are reported as missed)' },
  { path: 'schedule.minIntervalMs', env: 'HEARTH_REMINDER_MIN_INTERVAL', schema: duration.default(15 * 60_000), hint: 'the shortest interval a repeating reminder may have, e.g. 15m or 1h' },
  { path: 'schedule.maxActive', env: 'HEARTH_REMINDER_LIMIT', schema: z.coerce.number().int().min(1).max(10_000).default(50), hint: 'active reminders and routines one owner or member may have, e.g. 50' },
  { path: 'schedule.maxActiveGuest', env: 'HEARTH_REMINDER_LIMIT_GUEST', schema: z.coerce.number().int().min(0).max(10_000).default(5), hint: 'active reminders and routines one guest may have, e.g. 5 (0: guests cannot set any)' },
  { path: 'schedule.checkIntervalMs', env: 'HEARTH_REMINDER_CHECK_MS', schema: positiveMs.default(5_000), hint: 'how often due reminders are looked for, in milliseconds, e.g. 5000' },
];

/**
 * Structured settings: maps and lists that live only in the config file (and, for MCP servers,
 * in the JSON file HEARTH_MCP_CONFIG names), each validated by its own schema (see sections.ts).
 */
export const sections: Section[] = [
  { path: 'ollama.servers', schema: ollamaServersSchema, hint: OLLAMA_SERVERS_HINT },
  {
    path: 'mcp.servers',
    schema: mcpServersSchema,
    hint: MCP_SERVERS_HINT,
    include(config) {
      const file = (config.mcp as { configFile?: string } | undefined)?.configFile;
      return file ? { source: file, key: 'mcpServers', value: readMcpConfigFile(file) } : undefined;
    },
  },
];
