/**
 * Which Ollama servers Hearth may use and for what: OLLAMA_HOST (one URL or several separated by
 * commas), OLLAMA_EMBED_HOST for embeddings elsewhere, OLLAMA_SERVER_CONCURRENCY, or, for
 * per-server models and limits, the `ollama.servers` list in hearth.config.yaml.
 */
import { z } from 'zod';

export interface OllamaServer {
  url: string;
  /** Models this server has; undefined means "whatever it is asked for" (a 404 teaches otherwise). */
  models?: string[];
  /** Chat requests at once on this server; more wait in Hearth rather than in Ollama's queue. */
  concurrency: number;
  chat: boolean;
  embed: boolean;
}

export interface OllamaServerEntry {
  url: string;
  models?: string[];
  concurrency?: number;
  chat?: boolean;
  embed?: boolean;
}

export const OLLAMA_SERVERS_HINT = 'a list of servers, each {url: http://host:11434, models: [qwen2.5:3b], concurrency: 1, chat: true, embed: true}; only url is required';

export const ollamaServersSchema = z
  .array(
    z.strictObject({
      url: z.url({ protocol: /^https?$/ }),
      models: z.array(z.string().min(1)).min(1).optional(),
      concurrency: z.number().int().min(1).max(64).optional(),
      chat: z.boolean().optional(),
      embed: z.boolean().optional(),
    }),
  )
  .min(1)
  .optional();

/** Validates a comma-separated list of http(s) URLs (OLLAMA_HOST, OLLAMA_EMBED_HOST). */
export const hostList = z
  .string()
  .refine((value) => splitHosts(value).length > 0 && splitHosts(value).every((host) => z.url({ protocol: /^https?$/ }).safeParse(host).success), 'expected http(s) URLs separated by commas');

export function splitHosts(value: string): string[] {
  return value
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean);
}

export interface OllamaServerSettings {
  host: string;
  embedHost?: string;
  serverConcurrency: number;
  servers?: OllamaServerEntry[];
}

/**
 * One list for the pool. `ollama.servers` wins over OLLAMA_HOST; OLLAMA_EMBED_HOST, when set,
 * moves every embedding to its servers (and only embeddings: they stop taking chat there unless
 * they are chat servers too).
 */
export function ollamaServers(settings: OllamaServerSettings): OllamaServer[] {
  const listed: OllamaServer[] = settings.servers?.length
    ? settings.servers.map((entry) => ({ url: normalizeUrl(entry.url), models: entry.models, concurrency: entry.concurrency ?? settings.serverConcurrency, chat: entry.chat ?? true, embed: entry.embed ?? true }))
    : splitHosts(settings.host).map((url) => ({ url: normalizeUrl(url), concurrency: settings.serverConcurrency, chat: true, embed: true }));
  if (!settings.embedHost) return dedupe(listed);
  const embedUrls = splitHosts(settings.embedHost).map(normalizeUrl);
  const servers = listed.map((server) => ({ ...server, embed: embedUrls.includes(server.url) }));
  for (const url of embedUrls) {
    if (!servers.some((s) => s.url === url)) servers.push({ url, concurrency: settings.serverConcurrency, chat: false, embed: true });
  }
  return dedupe(servers);
}

const normalizeUrl = (url: string) => url.replace(/\/+$/, '');

function dedupe(servers: OllamaServer[]): OllamaServer[] {
  const seen = new Set<string>();
  return servers.filter((server) => !seen.has(server.url) && Boolean(seen.add(server.url)));
}
