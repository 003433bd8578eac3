import type { OllamaServerEntry } from '../agent/servers.ts';
import type { McpServerConfig } from '../mcp/config.ts';

/** The validated configuration; see settings.ts for each key's env variable and meaning. */
export interface Config {
  owner?: string;
  dataDir: string;
  databaseUrl?: string;
  /** Encrypts people's calendar and mail passwords; without it, secret.key in the data folder. */
  secretKey?: string;
  /** The household's IANA time zone; a person may set their own. */
  timezone: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  logFormat: 'auto' | 'pretty' | 'json';
  http: { port: number; host: string; bodyLimitBytes: number };
  ollama: {
    /** One URL or several separated by commas (see src/agent/servers.ts). */
    host: string;
    embedHost?: string;
    serverConcurrency: number;
    serverRetryMs: number;
    /** The `ollama.servers` section: per-server models and limits; wins over host. */
    servers?: OllamaServerEntry[];
    model: string;
    embedModel: string;
    firstTokenTimeoutMs: number;
    slowNoticeMs: number;
    turnTimeoutMs: number;
    contextTokens: number;
    keepAlive: string;
    embedTimeoutMs: number;
  };
  agent: {
    name: string;
    persona?: string;
    maxToolSteps: number;
    maxOfferedTools: number;
    maxOfferedToolChars: number;
    streaming: boolean;
    concurrency: number;
    maxAttempts: number;
    retryBaseMs: number;
  };
  /** Several Hearth processes on one PostgreSQL (src/pipeline/connections.ts). */
  cluster: { takeoverSeconds: number };
  limits: { messagesPerMinute: number; guestMessagesPerMinute: number; tokensPerDay: number; guestTokensPerDay: number };
  telegram?: { botToken?: string; apiRoot?: string; webhookUrl?: string; webhookSecret?: string };
  discord?: { botToken?: string; apiBase?: string };
  matrix?: { homeserverUrl?: string; userId?: string; accessToken?: string; encryption?: boolean; verifiedDevicesOnly?: boolean; recoveryKey?: string };
  access: {
    roleNames: string;
    ownerTools: string;
    memberTools: string;
    guestTools: string;
    unknownSenders: string;
    approvers: string;
    approvalTimeoutMs: number;
    pairingCodeTtlMs: number;
    maxPendingPairings: number;
    linkCodeTtlMs: number;
    claimCodeTtlMs: number;
    adminToken?: string;
  };
  audit: { retentionDays: number };
  memory: {
    recallLimit: number;
    recallChars: number;
    maxChars: number;
    autoExtract: boolean;
    summaries: boolean;
    historyTokens?: number;
    retryIntervalMs: number;
    efSearch: number;
  };
  accounts: { timeoutMs: number };
  webFetch: { enabled: boolean; timeoutMs: number; maxBytes: number; maxChars: number; allowAddresses?: string; allowDomains?: string; denyDomains?: string };
  backup: { dir?: string; keepBeforeMigration: number; daily: boolean; keepDaily: number };
  schedule: { graceMs: number; minIntervalMs: number; maxActive: number; maxActiveGuest: number; checkIntervalMs: number };
  /** The YAML file these settings were read from, if any (set by loadConfig; backups carry it). */
  configFile?: string;
  mcp: {
    configFile?: string;
    timeoutMs: number;
    maxOutputChars: number;
    /** The `mcp.servers` section plus the servers of HEARTH_MCP_CONFIG, by name. */
    servers: Record<string, McpServerConfig>;
  };
}
