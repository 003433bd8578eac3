/** The validated configuration; see settings.ts for each key's env variable and meaning. */
export interface Config {
  owner?: string;
  dataDir: string;
  databaseUrl?: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  http: { port: number; host: string };
  ollama: {
    host: string;
    model: string;
    embedModel: string;
    firstTokenTimeoutMs: number;
    turnTimeoutMs: number;
    contextTokens: number;
    keepAlive: string;
  };
  agent: {
    name: string;
    persona?: string;
    maxToolSteps: number;
    streaming: boolean;
    concurrency: number;
    maxAttempts: number;
    retryBaseMs: number;
  };
  limits: { messagesPerMinute: number; guestMessagesPerMinute: number; tokensPerDay: number; guestTokensPerDay: number };
  telegram?: { botToken?: string; apiRoot?: string; webhookUrl?: string; webhookSecret?: string };
  discord?: { botToken?: string; apiBase?: string };
  matrix?: { homeserverUrl?: string; userId?: string; accessToken?: string };
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
    embedTimeoutMs: number;
    retryIntervalMs: number;
    efSearch: number;
  };
}
