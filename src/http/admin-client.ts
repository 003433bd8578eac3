/**
 * How `hearth people` and `hearth audit` reach Hearth's data: directly on the database when
 * they can open it, or — when a running Hearth holds the embedded database (only one process
 * may open it) — through that Hearth's admin API, with HEARTH_ADMIN_TOKEN. Both run the same
 * operations (admin-operations.ts), so the answers are the same either way.
 */
import type { Config } from '../config/types.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { migrateSafely, plainLog } from '../backup/before-migration.ts';
import { DataFolderInUseError } from '../db/data-lock.ts';
import { AuditLog } from '../audit/audit.ts';
import { People, parseOwnerAccounts } from '../access/people.ts';
import { createAccess, outboxNotify } from '../access/access.ts';
import { Contacts } from '../access/contacts.ts';
import { offlineTools } from '../catalog.ts';
import { createLogger } from '../log.ts';
import { OperationError, operations, type OperationName, type Params } from './admin-operations.ts';

export interface AdminSession {
  /** 'database' or the URL of the running Hearth. */
  via: string;
  run(name: OperationName, params?: Params): Promise<any>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Offline only: start the MCP servers for the session, so their tools are listed (`hearth tools --start`). */
  startServers?: boolean;
}

export async function openAdminSession(config: Config, options: SessionOptions = {}): Promise<AdminSession> {
  let database: Database;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (error) {
    if (!(error instanceof DataFolderInUseError)) throw error;
    if (!config.access.adminToken) {
      throw new OperationError(409, `${error.message}\nTo manage a running Hearth, set HEARTH_ADMIN_TOKEN (the same value for Hearth and for this command), restart Hearth, and run this again.`);
    }
    return httpSession(config, config.access.adminToken);
  }
  try {
    await migrateSafely(database, config, plainLog());
  } catch (error) {
    await database.close();
    throw error;
  }
  const audit = new AuditLog(database.db);
  const people = new People(database.db);
  await people.ensureOwner(parseOwnerAccounts(config.owner));
  const { catalog, features } = offlineTools({ config, database, log: createLogger({ level: 'silent' }) });
  const access = createAccess({ config, database, audit, people, contacts: new Contacts(database.db), notify: outboxNotify(database), catalog, platforms: () => [] });
  const servers = options.startServers ? features.find((f) => f.name === 'mcp') : undefined;
  await servers?.start?.();
  return {
    via: 'database',
    run: (name, params = {}) => operations[name].run(access, params, 'cli'),
    async close() {
      await servers?.stop?.();
      await database.close();
    },
  };
}

/** Where a Hearth started with this configuration serves HTTP, as seen from this machine. */
export function runningHearthUrl(config: Config): string {
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
}

function httpSession(config: Config, token: string): AdminSession {
  const base = runningHearthUrl(config);
  return {
    via: base,
    async run(name, params = {}) {
      const operation = operations[name];
      const rest: Params = { ...params };
      const path = operation.path.replace(/:(\w+)/g, (_, key: string) => {
        const value = rest[key] ?? '';
        delete rest[key];
        return encodeURIComponent(value);
      });
      const defined = Object.entries(rest).filter((entry): entry is [string, string] => entry[1] !== undefined);
      const query = operation.method === 'POST' ? '' : new URLSearchParams(defined).toString();
      let response: Response;
      try {
        response = await fetch(`${base}${path}${query ? `?${query}` : ''}`, {
          method: operation.method,
          headers: { authorization: `Bearer ${token}`, ...(operation.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
          body: operation.method === 'POST' ? JSON.stringify(Object.fromEntries(defined)) : undefined,
        });
      } catch (error) {
        throw new OperationError(409, `the data folder is in use, but no Hearth answered at ${base} (${(error as Error).message}). Is HEARTH_HTTP_PORT the same as the running Hearth's?`);
      }
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      if (!response.ok) {
        const status = ([400, 403, 404, 409] as const).find((s) => s === response.status) ?? 409;
        throw new OperationError(status, body.error ?? `the admin API answered HTTP ${response.status}`);
      }
      return body;
    },
    close: async () => {},
  };
}
