/**
 * The tool catalogue for commands that run without a gateway (`hearth people`, `hearth tools` on
 * the database): the same features are created as in a running Hearth, but never started, so
 * their tools and risk levels are the ones the gateway offers. Tools that only exist while a
 * server is connected (MCP) are known to a running Hearth alone; its admin API answers for them.
 * Offline, MCP servers show as configured but not running, unless the caller starts the `mcp`
 * feature for a moment (`hearth tools --start`).
 */
import type { Config } from './config/types.ts';
import type { Database } from './db/client.ts';
import type { Logger } from './log.ts';
import { AuditLog } from './audit/audit.ts';
import { People } from './access/people.ts';
import { Contacts } from './access/contacts.ts';
import { outboxNotify } from './access/access.ts';
import { History } from './memory/history.ts';
import { createMetrics } from './http/metrics.ts';
import { ToolCatalog } from './tools/catalog.ts';
import { builtinTools } from './tools/builtin/index.ts';
import { createFeatures } from './pipeline/gateway.ts';
import { systemClock } from './pipeline/clock.ts';
import { features as builtFeatures } from './features.ts';
import type { Feature, FeatureFactory } from './pipeline/feature.ts';

export interface OfflineOptions {
  config: Config;
  database: Database;
  log: Logger;
  features?: FeatureFactory[];
}

export function offlineCatalog(options: OfflineOptions): ToolCatalog {
  return offlineTools(options).catalog;
}

/** The catalogue and the (never started) features that filled it. */
export function offlineTools(options: OfflineOptions): { catalog: ToolCatalog; features: Feature[] } {
  const { config, database, log } = options;
  const catalog = new ToolCatalog({ builtin: builtinTools(config) });
  const features = createFeatures(options.features ?? builtFeatures, {
    config,
    database,
    audit: new AuditLog(database.db),
    people: new People(database.db),
    contacts: new Contacts(database.db),
    history: new History(database.db),
    metrics: createMetrics(),
    log,
    clock: systemClock,
    adapters: new Map(),
    catalog,
    notify: outboxNotify(database),
    enqueue: async () => {
      throw new Error('turns cannot be started without a running Hearth');
    },
    every: () => {},
    health: () => [],
    features: () => features,
  });
  for (const feature of features) if (feature.tools?.length) catalog.replace(feature.name, feature.tools);
  return { catalog, features };
}
