/**
 * Assembles a running Hearth from configuration: database (migrated), model, gateway, HTTP app.
 * `hearth start`, `hearth chat`, the tests and the benchmark all build Hearth through here, so
 * they exercise the same wiring.
 */
import type { Hono } from 'hono';
import type { Adapter } from './core/index.ts';
import type { Config } from './config/types.ts';
import { openDatabase, type Database } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { createOllamaModel, type ChatModel } from './agent/model.ts';
import { Gateway } from './pipeline/gateway.ts';
import { createHttpApp } from './http/app.ts';
import { createMetrics } from './http/metrics.ts';
import type { Logger } from './log.ts';
import { features as builtFeatures } from './features.ts';
import type { FeatureFactory } from './pipeline/feature.ts';

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
}

export interface Hearth {
  config: Config;
  database: Database;
  gateway: Gateway;
  http: Hono;
  /** Connects the adapters and starts answering. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createHearth(options: HearthOptions): Promise<Hearth> {
  const { config, log } = options;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, inMemory: options.inMemory });
  try {
    const { applied } = await runMigrations(database);
    if (applied) log.info({ applied, database: database.location }, 'database migrated');
  } catch (error) {
    await database.close();
    throw error;
  }
  const metrics = createMetrics({ processMetrics: options.processMetrics });
  const model = options.model ?? createOllamaModel({ ...config.ollama });
  const gateway = new Gateway({ config, database, adapters: options.adapters, model, log, metrics, pollIntervalMs: options.pollIntervalMs, leaseMs: options.leaseMs, features: options.features ?? builtFeatures });
  const http = createHttpApp({
    database,
    metrics,
    adapterHealth: () => gateway.health(),
    webhooks: options.adapters.flatMap((a) => (a.webhook ? [a.webhook] : [])),
  });
  for (const feature of gateway.features) feature.routes?.(http);
  return {
    config,
    database,
    gateway,
    http,
    start: () => gateway.start(),
    async stop() {
      await gateway.stop();
      await database.close();
    },
  };
}
