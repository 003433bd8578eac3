/**
 * `hearth doctor`'s checks: each says what it looked at, whether it is fine, and what to do if
 * not. Pure functions over configuration, so tests run them against the stand-ins.
 */
import { Ollama } from 'ollama';
import type { DoctorCheck } from './core/index.ts';
import type { Config } from './config/types.ts';
import { openDatabase } from './db/client.ts';
import { migrationStatus } from './db/migrate.ts';
import { sql } from 'drizzle-orm';
import { parseOwnerAccounts } from './access/people.ts';
import { configuredAdapters } from './platforms.ts';

export async function runChecks(config: Config): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [checkNode(), checkOwner(config)];
  checks.push(...(await checkDatabase(config)));
  checks.push(...(await checkOllama(config)));
  for (const adapter of await configuredAdapters(config)) {
    if (!adapter.doctor) continue;
    try {
      checks.push(...(await adapter.doctor()));
    } catch (error) {
      checks.push({ name: adapter.platform, ok: false, detail: (error as Error).message, fix: 'see README → Troubleshooting' });
    }
  }
  return checks;
}

function checkNode(): DoctorCheck {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > 22 || (major === 22 && minor >= 18);
  return { name: 'Node.js', ok, detail: process.version, fix: ok ? undefined : 'run Hearth through npm (npm start), which uses the Node 24 from node_modules, or install Node 24' };
}

function checkOwner(config: Config): DoctorCheck {
  const owners = parseOwnerAccounts(config.owner);
  return owners.length
    ? { name: 'owner', ok: true, detail: owners.map((o) => `${o.platform}:${o.accountId}`).join(', ') }
    : { name: 'owner', ok: false, detail: 'HEARTH_OWNER is not set: only the console (`hearth chat`) can talk to Hearth', fix: 'set HEARTH_OWNER to your account, e.g. telegram:123456789 (README → Finding your account id)' };
}

async function checkDatabase(config: Config): Promise<DoctorCheck[]> {
  let database;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (error) {
    return [{ name: 'database', ok: false, detail: (error as Error).message.split('. Fix:')[0]!, fix: (error as { fix?: string }).fix ?? 'see README → Troubleshooting' }];
  }
  try {
    const checks: DoctorCheck[] = [{ name: 'database', ok: true, detail: `${database.driver} at ${database.location}` }];
    const vector = await database.rows<{ name: string }>(sql`select name from pg_available_extensions where name = 'vector'`);
    checks.push(
      vector.length
        ? { name: 'pgvector', ok: true, detail: 'available' }
        : { name: 'pgvector', ok: false, detail: 'the server has no pgvector extension', fix: 'install pgvector on the PostgreSQL server (apt install postgresql-<version>-pgvector, or the pgvector/pgvector Docker image)' },
    );
    const status = await migrationStatus(database);
    if (status.unknownApplied) checks.push({ name: 'schema', ok: false, detail: 'the database was migrated by a newer Hearth', fix: 'upgrade Hearth, or restore the backup from before the upgrade' });
    else checks.push({ name: 'schema', ok: true, detail: status.applied === status.known ? `up to date (${status.known} migrations)` : `${status.known - status.applied} migration(s) will be applied at start` });
    return checks;
  } finally {
    await database.close();
  }
}

export async function checkOllama(config: Config): Promise<DoctorCheck[]> {
  const { host, model, embedModel } = config.ollama;
  const client = new Ollama({ host, fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(5_000) }) });
  let version: string;
  let pulled: string[];
  try {
    version = (await client.version()).version;
    pulled = (await client.list()).models.map((m) => m.name);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return [{ name: 'Ollama', ok: false, detail: `cannot reach ${host} (${cause})`, fix: 'start Ollama (`ollama serve`, or `docker compose up -d ollama`) or set OLLAMA_HOST to where it runs' }];
  }
  const has = (name: string) => pulled.some((p) => p === name || p === `${name}:latest`);
  const modelCheck = (label: string, name: string): DoctorCheck =>
    has(name) ? { name: label, ok: true, detail: `${name} is pulled` } : { name: label, ok: false, detail: `${name} is not pulled on ${host}`, fix: `run \`ollama pull ${name}\`${pulled.length ? ` (pulled: ${pulled.join(', ')})` : ''}` };
  return [{ name: 'Ollama', ok: true, detail: `${host} (version ${version})` }, modelCheck('chat model', model), modelCheck('embedding model', embedModel)];
}

export function formatChecks(checks: DoctorCheck[]): string {
  return checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n    fix: ${c.fix}` : ''}`).join('\n');
}
