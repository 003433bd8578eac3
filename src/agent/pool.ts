/**
 * Several Ollama servers as one: each request goes to the least busy reachable server that has
 * the model, never more chat requests at once on a server than its concurrency (Ollama would only
 * queue them, and a CPU box gets slower for everyone), and a server that fails is taken out for a
 * cool-down that doubles while it keeps failing. While servers are out, a light probe
 * (/api/version) notices when they are back, and listeners hear it at once.
 *
 * With one server nothing changes for the person: when every server is out, the request still
 * goes to the one due back first, so a restarted Ollama is found by the next turn.
 */
import type { Config } from '../config/types.ts';
import { ModelUnavailableError } from './errors.ts';
import { ollamaServers, type OllamaServer } from './servers.ts';

export type RequestKind = 'chat' | 'embed';

/** What a failed request says about the server it went to. */
export type FailureVerdict = 'server' | 'model-missing' | 'final';

export interface PoolOptions {
  /** First cool-down after a failure; doubles per further failure up to maxCoolDownMs. */
  coolDownMs?: number;
  maxCoolDownMs?: number;
  /** Probe servers that are out this often (default: coolDownMs). 0 turns the probe off. */
  probeIntervalMs?: number;
  now?: () => number;
  probe?: (url: string) => Promise<boolean>;
}

export interface ServerState {
  url: string;
  chat: boolean;
  embed: boolean;
  concurrency: number;
  inFlight: number;
  served: number;
  failures: number;
  /** While in the future, the server is out. */
  outUntil: number;
  lastError?: string;
}

interface Server extends OllamaServer {
  inFlight: number;
  served: number;
  failures: number;
  outUntil: number;
  lastError?: string;
  /** Models the server said it does not have, until when to believe it. */
  missing: Map<string, number>;
}

export interface UseOptions {
  signal?: AbortSignal;
  /** Decides whether a failure moves the request to another server. */
  verdict: (error: unknown) => FailureVerdict;
}

export class OllamaPool {
  private readonly servers: Server[];
  private readonly waiters = new Set<() => void>();
  private readonly backListeners = new Set<(url: string) => void>();
  private readonly coolDownMs: number;
  private readonly maxCoolDownMs: number;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;
  private readonly probe: (url: string) => Promise<boolean>;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(servers: OllamaServer[], options: PoolOptions = {}) {
    if (servers.length === 0) throw new Error('no Ollama server configured. Fix: set OLLAMA_HOST, e.g. http://127.0.0.1:11434');
    this.servers = servers.map((s) => ({ ...s, inFlight: 0, served: 0, failures: 0, outUntil: 0, missing: new Map() }));
    this.coolDownMs = options.coolDownMs ?? 10_000;
    this.maxCoolDownMs = options.maxCoolDownMs ?? 120_000;
    this.probeIntervalMs = options.probeIntervalMs ?? this.coolDownMs;
    this.now = options.now ?? Date.now;
    this.probe = options.probe ?? probeVersion;
  }

  /** Every server for this kind of request, for messages ("http://a:11434, http://b:11434"). */
  hosts(kind: RequestKind): string {
    return this.servers.filter((s) => s[kind]).map((s) => s.url).join(', ');
  }

  status(): ServerState[] {
    return this.servers.map(({ url, chat, embed, concurrency, inFlight, served, failures, outUntil, lastError }) => ({ url, chat, embed, concurrency, inFlight, served, failures, outUntil, lastError }));
  }

  /** Called with a server's URL when it answers again after being out. Returns an unsubscribe. */
  onBack(listener: (url: string) => void): () => void {
    this.backListeners.add(listener);
    return () => this.backListeners.delete(listener);
  }

  /** Total chat requests the pool runs at once. */
  chatCapacity(): number {
    return this.servers.filter((s) => s.chat).reduce((sum, s) => sum + s.concurrency, 0);
  }

  /**
   * Runs `work` against one server, moving to the next on a server failure or a missing model.
   * Chat requests wait for a free slot; the error of the last server tried is thrown when none
   * could answer.
   */
  async use<T>(kind: RequestKind, model: string, work: (url: string) => Promise<T>, options: UseOptions): Promise<T> {
    const tried = new Set<Server>();
    let lastError: unknown;
    for (;;) {
      const server = await this.pick(kind, model, tried, options.signal);
      if (!server) {
        if (lastError !== undefined) throw lastError;
        throw new ModelUnavailableError('model-missing', `no Ollama server has the model ${model} (servers: ${this.hosts(kind) || 'none for this'})`, `add ${model} to a server's models in ollama.servers, or run \`ollama pull ${model}\` on one of them`);
      }
      tried.add(server);
      try {
        const result = await work(server.url);
        server.served++;
        this.markUp(server);
        return result;
      } catch (error) {
        lastError = error;
        const verdict = options.verdict(error);
        if (verdict === 'final') throw error;
        if (verdict === 'model-missing') server.missing.set(modelKey(model), this.now() + this.maxCoolDownMs);
        else this.markOut(server, error);
      } finally {
        server.inFlight--;
        this.wake();
      }
    }
  }

  private async pick(kind: RequestKind, model: string, tried: Set<Server>, signal?: AbortSignal): Promise<Server | undefined> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      const able = this.servers.filter((s) => s[kind] && !tried.has(s) && hasModel(s, model, now));
      if (able.length === 0) return undefined;
      const limited = kind === 'chat';
      const up = able.filter((s) => s.outUntil <= now);
      // Everything out: the one due back first gets the request (it may be back already).
      const candidates = up.length ? up : [able.reduce((a, b) => (b.outUntil < a.outUntil ? b : a))];
      const free = limited ? candidates.filter((s) => s.inFlight < s.concurrency) : candidates;
      if (free.length) {
        // Taken here, before any await, so two waiters never get the same last slot.
        const chosen = free.reduce((a, b) => (load(b) < load(a) || (load(b) === load(a) && b.served < a.served) ? b : a));
        chosen.inFlight++;
        return chosen;
      }
      await this.waitForSlot(signal);
    }
  }

  private waitForSlot(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        this.waiters.delete(done);
        reject(signal!.reason);
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  /** Every waiter looks again, in the order they came; the first to find a slot takes it. */
  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private markOut(server: Server, error: unknown): void {
    server.failures++;
    server.outUntil = this.now() + Math.min(this.maxCoolDownMs, this.coolDownMs * 2 ** (server.failures - 1));
    server.lastError = (error as Error)?.message ?? String(error);
    this.scheduleProbe();
  }

  private markUp(server: Server): void {
    const wasOut = server.failures > 0;
    server.failures = 0;
    server.outUntil = 0;
    server.lastError = undefined;
    if (wasOut) {
      for (const listener of this.backListeners) listener(server.url);
      this.wake();
    }
  }

  private scheduleProbe(): void {
    if (this.probeTimer || this.probeIntervalMs <= 0) return;
    this.probeTimer = setTimeout(() => void this.probeOut(), this.probeIntervalMs);
    this.probeTimer.unref?.();
  }

  private async probeOut(): Promise<void> {
    this.probeTimer = undefined;
    const out = this.servers.filter((s) => s.failures > 0);
    await Promise.all(
      out.map(async (server) => {
        if (await this.probe(server.url).catch(() => false)) this.markUp(server);
      }),
    );
    if (this.servers.some((s) => s.failures > 0)) this.scheduleProbe();
  }

  /** Stops the background probe (tests, shutdown). */
  close(): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }
}

const load = (s: Server) => s.inFlight / s.concurrency;

/** "nomic-embed-text" and "nomic-embed-text:latest" are one model to Ollama. */
const modelKey = (model: string) => (/:[^/]+$/.test(model) ? model : `${model}:latest`);

function hasModel(server: Server, model: string, now: number): boolean {
  const key = modelKey(model);
  const missingUntil = server.missing.get(key);
  if (missingUntil !== undefined && missingUntil > now) return false;
  return !server.models || server.models.some((m) => modelKey(m) === key);
}

async function probeVersion(url: string): Promise<boolean> {
  const response = await fetch(`${url}/api/version`, { signal: AbortSignal.timeout(3_000) });
  await response.body?.cancel();
  return response.ok;
}

const pools = new WeakMap<object, OllamaPool>();

/** The one pool of a running Hearth (its model, embedder and housekeeping calls share the slots). */
export function ollamaPoolFor(config: Pick<Config, 'ollama'>): OllamaPool {
  let pool = pools.get(config.ollama);
  if (!pool) {
    pool = new OllamaPool(ollamaServers(config.ollama), { coolDownMs: config.ollama.serverRetryMs, maxCoolDownMs: Math.max(config.ollama.serverRetryMs, 120_000) });
    pools.set(config.ollama, pool);
  }
  return pool;
}
