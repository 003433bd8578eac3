/**
 * What the status page shows: each platform and whether it is connected, the chat and embedding
 * models (and whether Ollama answers), how much work is waiting, and the newest errors with
 * what to do about each.
 */
import { ollamaServers } from '../agent/servers.ts';
import { Ollama } from 'ollama';
import { sql } from 'drizzle-orm';
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import { fixFor } from './fixes.ts';

export interface StatusReport {
  platforms: Array<{ platform: string; ok: boolean; detail: string; fix?: string }>;
  models: { host: string; chat: string; embedding: string; reachable: boolean; detail: string; fix?: string };
  queue: { messages: number; replies: number; failedReplies: number };
  errors: Array<{ at: Date; where: string; error: string; fix: string }>;
}

export interface StatusSources {
  config: Config;
  database: Database;
  health(): Array<{ platform: string; ok: boolean; detail: string }>;
}

const OLLAMA_CHECK_MS = 2_000;

async function ollamaState(config: Config): Promise<Pick<StatusReport['models'], 'reachable' | 'detail' | 'fix'>> {
  const timeout = AbortSignal.timeout(OLLAMA_CHECK_MS);
  try {
    const client = new Ollama({ host: firstServer(config), fetch: (input, init) => fetch(input, { ...init, signal: timeout }) });
    const [{ version }, { models }] = await Promise.all([client.version(), client.list()]);
    const names = new Set(models.flatMap((m) => [m.name, m.model, m.name.replace(/:latest$/, '')]));
    const missing = [config.ollama.model, config.ollama.embedModel].filter((m) => !names.has(m));
    if (missing.length) return { reachable: true, detail: `Ollama ${version}; not pulled yet: ${missing.join(', ')}`, fix: `Run \`ollama pull ${missing.join('` and `ollama pull ')}\` (or \`hearth setup\`).` };
    return { reachable: true, detail: `Ollama ${version}; both models are pulled` };
  } catch (error) {
    const detail = `Ollama does not answer at ${firstServer(config)} (${(error as Error).message})`;
    return { reachable: false, detail, fix: fixFor('ollama unreachable', config) };
  }
}

export async function statusReport(sources: StatusSources): Promise<StatusReport> {
  const { config, database } = sources;
  const [queue] = await database.rows<{ messages: number; replies: number; failed: number }>(sql`
    select (select count(*)::int from inbound_journal where status in ('pending', 'processing')) as messages,
           (select count(*)::int from outbox where status in ('pending', 'processing')) as replies,
           (select count(*)::int from outbox where status = 'failed' and created_at > now() - interval '1 day') as failed`);
  const turnErrors = await database.rows<{ at: Date; platform: string; error: string }>(sql`
    select coalesce(finished_at, received_at) as at, platform, last_error as error from inbound_journal
    where last_error is not null order by id desc limit 10`);
  const deliveryErrors = await database.rows<{ at: Date; platform: string; error: string }>(sql`
    select coalesce(sent_at, created_at) as at, platform, last_error as error from outbox
    where last_error is not null and status <> 'sent' order by id desc limit 10`);
  const platforms: StatusReport['platforms'] = sources.health().map((p) => (p.ok ? p : { ...p, fix: fixFor(p.detail, config, p.platform) }));
  const errors = [
    ...platforms.filter((p) => !p.ok).map((p) => ({ at: new Date(), where: `${p.platform} connection`, error: p.detail, fix: p.fix ?? '' })),
    ...turnErrors.map((e) => ({ at: new Date(e.at), where: `answering on ${e.platform}`, error: e.error, fix: fixFor(e.error, config, e.platform) })),
    ...deliveryErrors.map((e) => ({ at: new Date(e.at), where: `delivering on ${e.platform}`, error: e.error, fix: fixFor(e.error, config, e.platform) })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime());
  return {
    platforms,
    models: { host: config.ollama.host, chat: config.ollama.model, embedding: config.ollama.embedModel, ...(await ollamaState(config)) },
    queue: { messages: queue?.messages ?? 0, replies: queue?.replies ?? 0, failedReplies: queue?.failed ?? 0 },
    errors: errors.slice(0, 15),
  };
}

/** The status page checks the first chat server; `hearth doctor` checks every one. */
const firstServer = (config: Config) => ollamaServers(config.ollama).find((s) => s.chat)?.url ?? config.ollama.host;
