/**
 * Assembles a running Hearth from configuration: database (migrated), model, gateway, HTTP app.
 * `hearth start`, `hearth chat`, the tests and the benchmark all build Hearth through here, so
 * they exercise the same wiring.
 */
import type { Hono } from 'hono';
import type { Adapter } from './core/index.ts';
import type { Config } from './config/types.ts';
import { openDatabase, type Database } from './db/client.ts';
import { migrateSafely } from './backup/before-migration.ts';
import { createOllamaModel, type ChatModel } from './agent/model.ts';
import { ollamaPoolFor, type OllamaPool } from './agent/pool.ts';
import { Gateway } from './pipeline/gateway.ts';
import { searchSessionSettings } from './memory/recall.ts';
import { createHttpApp } from './http/app.ts';
import { createMetrics } from './http/metrics.ts';
import type { Logger } from './log.ts';
import { features as builtFeatures } from './features.ts';
import type { FeatureFactory } from './pipeline/feature.ts';
import type { Clock } from './pipeline/clock.ts';

export interface HearthOptions {
  config: Config;
  log: Logger;
  adapters: Adapter[];
  /** Defaults to Ollama as configured; the benchmark swaps in an instant model. */
  model?: ChatModel;
  /** Embedded database kept in memory (tests and benchmarks). */
  inMemory?: boolean;
  processMetrics?: boolean;
  pollIntervalMs?: number;
  /** How long a claimed message is held before another process may take it over. */
  leaseMs?: number;
  /** Defaults to every feature Hearth is built with (src/features.ts). */
  features?: FeatureFactory[];
  /** Defaults to the system clock; tests pass a ManualClock to move time forward. */
  clock?: Clock;
}

export interface Hearth {
  config: Config;
  database: Database;
  gateway: Gateway;
  http: Hono;
  /** The Ollama servers this Hearth uses, with their health and load. */
  ollama: OllamaPool;
  /** Connects the adapters and starts answering. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createHearth(options: HearthOptions): Promise<Hearth> {
  const { config, log } = options;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, inMemory: options.inMemory, sessionSettings: searchSessionSettings(config.memory.efSearch) });
  try {
    const { applied } = await migrateSafely(database, config, log);
    log.info({ applied, database: database.location }, applied ? 'database migrated' : 'database up to date');
  } catch (error) {
    await database.close();
    throw error;
  }
  const metrics = createMetrics({ processMetrics: options.processMetrics });
  const ollama = ollamaPoolFor(config);
  const model = options.model ?? createOllamaModel({ ...config.ollama, host: ollama });
  const gateway = new Gateway({ config, database, adapters: options.adapters, model, log, metrics, pollIntervalMs: options.pollIntervalMs, leaseMs: options.leaseMs, features: options.features ?? builtFeatures, clock: options.clock });
  // A stop may come while start() is still connecting platforms: stop waits for that to settle,
  // so the database is closed only after nothing uses it any more.
  let starting: Promise<void> | undefined;
  const http = createHttpApp({
    database,
    metrics,
    adapterHealth: () => gateway.health(),
    connections: () => gateway.connections(),
    webhooks: options.adapters.flatMap((a) => (a.webhook ? [a.webhook] : [])),
    bodyLimitBytes: config.http.bodyLimitBytes,
  });
  for (const feature of gateway.features) feature.routes?.(http);
  return {
    config,
    database,
    gateway,
    http,
    ollama,
    start: () => (starting = gateway.start()),
    async stop() {
      if (starting) {
        await gateway.stop();
        await starting.catch(() => {});
      }
      await database.close();
    },
  };
}
