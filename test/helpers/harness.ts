/**
 * Starts a whole Hearth for an end-to-end test: real configuration loading, real database
 * (PGlite or Postgres), the Ollama stand-in, the given adapters, and the HTTP app in-process.
 */
import type { Adapter } from '../../src/core/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createHearth, type Hearth as RunningHearth } from '../../src/hearth.ts';
import { features as builtFeatures } from '../../src/features.ts';
import type { FeatureFactory } from '../../src/pipeline/feature.ts';
import { createLogger } from '../../src/log.ts';
import { auditEvents } from '../../src/db/schema.ts';
import { asc } from 'drizzle-orm';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { PassThrough } from 'node:stream';

export interface HarnessOptions {
  adapters: Adapter[];
  /** HEARTH_OWNER syntax: 'telegram:1001,discord:42'. */
  owner?: string;
  driver?: 'pglite' | 'postgres';
  dataDir?: string;
  databaseUrl?: string;
  ollama?: FakeOllama;
  /** Overrides of the config object, e.g. { agent: { streaming: false } }. */
  config?: Record<string, unknown>;
  /** Features added after the built-in ones (e.g. a test-only tool). */
  extraFeatures?: FeatureFactory[];
}

export interface Hearth {
  ollama: FakeOllama;
  hearth: RunningHearth;
  request(path: string, init?: RequestInit): Promise<Response>;
  audit(): Promise<Array<{ kind: string; subject: string | null; detail: unknown; actorPersonId: string | null }>>;
  idle(): Promise<void>;
  stop(): Promise<void>;
  /** Log lines written so far (JSON strings), to check what reaches logs. */
  logs: string[];
  databaseUrl?: string;
  dataDir?: string;
}

export async function startHearth(options: HarnessOptions): Promise<Hearth> {
  const ownsOllama = !options.ollama;
  const ollama = options.ollama ?? (await startFakeOllama());
  const dataDir = options.dataDir;
  const config = loadConfig({
    env: {},
    file: false,
    overrides: deepMerge(
      {
        owner: options.owner,
        dataDir: dataDir ?? '/tmp/hearth-test-unused',
        databaseUrl: options.databaseUrl,
        ollama: { host: ollama.url, firstTokenTimeoutMs: 2_000, turnTimeoutMs: 5_000 },
        agent: { retryBaseMs: 60_000, streaming: true },
      },
      options.config ?? {},
    ),
  });
  const logs: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (line: Buffer) => logs.push(line.toString()));
  const log = createLogger({ level: process.env.HEARTH_TEST_LOG ? 'debug' : 'info', stream: process.env.HEARTH_TEST_LOG ? process.stderr : sink });
  const inMemory = !options.databaseUrl && !dataDir;
  const features = options.extraFeatures ? [...builtFeatures, ...options.extraFeatures] : undefined;
  const hearth = await createHearth({ config, log, adapters: options.adapters, inMemory, pollIntervalMs: 100, leaseMs: 1_500, features });
  await hearth.start();
  return {
    ollama,
    hearth,
    logs,
    databaseUrl: options.databaseUrl,
    dataDir,
    request: async (path, init) => hearth.http.request(path, init),
    audit: async () => hearth.database.db.select({ kind: auditEvents.kind, subject: auditEvents.subject, detail: auditEvents.detail, actorPersonId: auditEvents.actorPersonId }).from(auditEvents).orderBy(asc(auditEvents.id)),
    idle: () => hearth.gateway.idle(),
    async stop() {
      await hearth.stop();
      if (ownsOllama) await ollama.close();
    },
  };
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}
