/**
 * `hearth doctor`'s checks: each says what it looked at, whether it is fine, and what to do if
 * not; a warning is something to know about that does not stop Hearth. Pure functions over
 * configuration, so tests run them against the stand-ins.
 */
import { ollamaServers } from './agent/servers.ts';
import { Ollama } from 'ollama';
import type { DoctorCheck } from './core/index.ts';
import type { Config } from './config/types.ts';
import { openDatabase } from './db/client.ts';
import { migrationStatus } from './db/migrate.ts';
import { sql } from 'drizzle-orm';
import { People, parseOwnerAccounts } from './access/people.ts';
import { configuredAdapters } from './platforms.ts';
import { mcpChecks } from './mcp/doctor.ts';
import { PoisonLog, type PoisonRecord } from './pipeline/poison.ts';
import { secretKeyChecks } from './vault/doctor.ts';

export async function runChecks(config: Config): Promise<DoctorCheck[]> {
  const claimed: string[] = [];
  const checks: DoctorCheck[] = [checkNode()];
  checks.push(...(await checkDatabase(config, claimed)));
  checks.push(checkOwner(config, claimed));
  checks.push(...(await checkOllama(config)));
  checks.push(...(await mcpChecks(config)));
  const adapters = await configuredAdapters(config);
  if (adapters.length === 0) {
    checks.push({ name: 'chat platforms', ok: false, warning: true, detail: 'none is configured: only the console (`hearth chat`) can talk to Hearth', fix: 'run `hearth setup` to connect Telegram, Discord or Matrix' });
  }
  for (const adapter of adapters) {
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

/** The owner's chat accounts: from HEARTH_OWNER, and claimed with `/claim CODE` (in the database). */
function checkOwner(config: Config, claimed: string[]): DoctorCheck {
  const owners = [...new Set([...parseOwnerAccounts(config.owner).map((o) => `${o.platform}:${o.accountId}`), ...claimed])];
  return owners.length
    ? { name: 'owner', ok: true, detail: owners.join(', ') }
    : { name: 'owner', ok: false, warning: true, detail: 'nobody owns this Hearth on a chat platform yet: only the console (`hearth chat`) is the owner', fix: 'run `hearth owner claim` and send the code it shows to your bot (or set HEARTH_OWNER)' };
}

async function ownerAccountsIn(database: Awaited<ReturnType<typeof openDatabase>>): Promise<string[]> {
  try {
    return await new People(database.db).ownerAccounts();
  } catch {
    return []; // a database not migrated yet has no people
  }
}

async function checkDatabase(config: Config, claimed: string[]): Promise<DoctorCheck[]> {
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
    claimed.push(...(await ownerAccountsIn(database)));
    const status = await migrationStatus(database);
    if (status.unknownApplied) checks.push({ name: 'schema', ok: false, detail: 'the database was migrated by a newer Hearth', fix: 'upgrade Hearth, or restore the backup from before the upgrade' });
    else checks.push({ name: 'schema', ok: true, detail: status.applied === status.known ? `up to date (${status.known} migrations)` : `${status.known - status.applied} migration(s) will be applied at start` });
    const poison = await checkPoison(database);
    if (poison) checks.push(poison);
    checks.push(...(await secretKeyChecks(database, { dataDir: config.dataDir, secretKey: config.secretKey })));
    return checks;
  } finally {
    await database.close();
  }
}

/** Events set aside in the last 30 days (see src/core/set-aside.ts): a warning that names them. */
async function checkPoison(database: Awaited<ReturnType<typeof openDatabase>>): Promise<DoctorCheck | undefined> {
  const log = new PoisonLog(database.db);
  let count: number;
  let recent: PoisonRecord[];
  try {
    [count, recent] = await Promise.all([log.count(30), log.recent(3)]);
  } catch {
    return undefined; // not migrated yet: nothing can have been set aside
  }
  if (count === 0) return { name: 'set-aside events', ok: true, detail: 'none in the last 30 days' };
  const listed = recent.map((r) => `${r.platform} ${r.eventId} at ${r.lastAt.toISOString()}: ${r.error}`).join('; ');
  return {
    name: 'set-aside events',
    ok: false,
    warning: true,
    detail: `${count} event(s) could not be read or journaled and were skipped in the last 30 days (latest: ${listed})`,
    fix: 'the people who sent them got no answer; see docs/security.md → "Set-aside events" (records are in the poison_events table, kept 30 days)',
  };
}

/** Every Ollama server Hearth may use: reachable, and holding the models it is used for. */
export async function checkOllama(config: Config): Promise<DoctorCheck[]> {
  const servers = ollamaServers(config.ollama);
  if (servers.length === 1) return checkOllamaServer(config, servers[0]!.url, true, true, '');
  const checks = await Promise.all(servers.map((s) => checkOllamaServer(config, s.url, s.chat && (!s.models || s.models.includes(config.ollama.model)), s.embed && (!s.models || s.models.includes(config.ollama.embedModel)), ` (${s.url})`)));
  return checks.flat();
}

async function checkOllamaServer(config: Config, host: string, forChat: boolean, forEmbed: boolean, suffix: string): Promise<DoctorCheck[]> {
  const { model, embedModel } = config.ollama;
  const client = new Ollama({ host, fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(5_000) }) });
  let version: string;
  let pulled: string[];
  try {
    version = (await client.version()).version;
    pulled = (await client.list()).models.map((m) => m.name);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return [{ name: `Ollama${suffix}`, ok: false, detail: `cannot reach ${host} (${cause})`, fix: 'start Ollama (`ollama serve`, or `docker compose up -d ollama`) or set OLLAMA_HOST to where it runs' }];
  }
  const has = (name: string) => pulled.some((p) => p === name || p === `${name}:latest`);
  const modelCheck = (label: string, name: string): DoctorCheck =>
    has(name) ? { name: label, ok: true, detail: `${name} is pulled` } : { name: label, ok: false, detail: `${name} is not pulled on ${host}`, fix: `run \`ollama pull ${name}\`${pulled.length ? ` (pulled: ${pulled.join(', ')})` : ''}` };
  return [{ name: `Ollama${suffix}`, ok: true, detail: `${host} (version ${version})` }, ...(forChat ? [modelCheck(`chat model${suffix}`, model)] : []), ...(forEmbed ? [modelCheck(`embedding model${suffix}`, embedModel)] : [])];
}

export const isFailure = (check: DoctorCheck): boolean => !check.ok && !check.warning;

export function formatChecks(checks: DoctorCheck[]): string {
  const mark = (c: DoctorCheck) => (c.ok ? '✓' : c.warning ? '⚠' : '✗');
  return checks.map((c) => `${mark(c)} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n    ${c.warning ? 'to do' : 'fix'}: ${c.fix}` : ''}`).join('\n');
}
