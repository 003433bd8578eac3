/**
 * Starts a whole Hearth for an end-to-end test: real configuration loading, real database
 * (PGlite or Postgres), the Ollama stand-in, the given adapters, and the HTTP app in-process.
 */
import type { Adapter } from '../../src/core/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createHearth, type Hearth as RunningHearth } from '../../src/hearth.ts';
import { features as builtFeatures } from '../../src/features.ts';
import type { FeatureFactory } from '../../src/pipeline/feature.ts';
import type { Clock } from '../../src/pipeline/clock.ts';
import { createLogger } from '../../src/log.ts';
import { auditEvents } from '../../src/db/schema.ts';
import { asc } from 'drizzle-orm';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { PassThrough } from 'node:stream';
import { scaled } from './time-scale.ts';
import { assertTestLive, testIsLive } from './test-scope.ts';

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
  /** Instead of the built-in features (e.g. none, to see Hearth without the access feature). */
  features?: FeatureFactory[];
  clock?: Clock;
  /** How long a claimed message is held (default 1.5 s, scaled, so crash tests are quick). */
  leaseMs?: number;
  /** How often the gateway looks for due work on its own (default 100 ms, so nothing a test does waits long). */
  pollIntervalMs?: number;
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
  assertTestLive('start Hearth');
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
        ollama: { host: ollama.url, firstTokenTimeoutMs: scaled(2_000), turnTimeoutMs: scaled(5_000) },
        // Every tool the sender may use is offered: choosing a few per turn has its own tests (test/tools/lean-prompt.test.ts).
        agent: { retryBaseMs: 60_000, streaming: true, maxOfferedTools: 0 },
      },
      options.config ?? {},
    ),
  });
  const logs: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (line: Buffer) => logs.push(line.toString()));
  const log = createLogger({ level: process.env.HEARTH_TEST_LOG ? 'debug' : 'info', stream: process.env.HEARTH_TEST_LOG ? process.stderr : sink });
  const inMemory = !options.databaseUrl && !dataDir;
  const features = [...(options.features ?? builtFeatures), ...(options.extraFeatures ?? [])];
  const hearth = await createHearth({ config, log, adapters: options.adapters, inMemory, pollIntervalMs: options.pollIntervalMs ?? 100, leaseMs: options.leaseMs ?? scaled(1_500), features, clock: options.clock });
  await hearth.start();
  if (!testIsLive()) {
    // The test gave up while this Hearth was starting: it must not answer the next test's messages.
    await hearth.stop();
    if (ownsOllama) await ollama.close();
    assertTestLive('keep the Hearth it started');
  }
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
