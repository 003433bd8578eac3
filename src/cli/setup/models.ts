/**
 * The model step of `hearth setup`: is Ollama there (and which version), which chat and
 * embedding models fit this machine's memory, and pulling them with a progress bar fed by
 * Ollama's streamed /api/pull (through the `ollama` client; bar by cli-progress).
 */
import { totalmem } from 'node:os';
import { Ollama } from 'ollama';
import cliProgress from 'cli-progress';

export interface OllamaState {
  host: string;
  version?: string;
  /** Why it could not be reached. */
  problem?: string;
  pulled: string[];
}

export interface ModelChoice {
  name: string;
  /** Download size, as people see it. */
  size: string;
  why: string;
}

const GIB = 1024 ** 3;

/** Small models that answer well with tools, by the memory they leave the rest of the box. */
export const CHAT_MODELS: Array<ModelChoice & { minMemory: number }> = [
  { name: 'qwen2.5:7b', size: '4.7 GB', why: 'best answers; needs 8 GB of memory or more', minMemory: 11 * GIB },
  // Qwen's chat template puts the tool list in the system turn, so Ollama's prompt cache keeps it
  // from turn to turn; Llama 3.2's puts it with the newest message, reprocessed on every turn.
  { name: 'qwen2.5:3b', size: '1.9 GB', why: 'good answers and tool calls on a 4 GB box', minMemory: 3.5 * GIB },
  { name: 'qwen2.5:1.5b', size: '1.0 GB', why: 'fits a 2 GB box; simpler answers', minMemory: 0 },
];
export const EMBED_MODEL: ModelChoice = { name: 'nomic-embed-text', size: '274 MB', why: 'for memories: small and good' };

export function recommendChatModel(memoryBytes = totalmem()): ModelChoice {
  return CHAT_MODELS.find((m) => memoryBytes >= m.minMemory)!;
}

export const memoryText = (bytes = totalmem()): string => `${(bytes / GIB).toFixed(1)} GB`;

function client(host: string): Ollama {
  return new Ollama({ host, fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(5_000) }) });
}

export async function checkOllama(host: string): Promise<OllamaState> {
  try {
    const ollama = client(host);
    const version = (await ollama.version()).version;
    const pulled = (await ollama.list()).models.map((m) => m.name);
    return { host, version, pulled };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return { host, problem: `cannot reach ${host} (${cause})`, pulled: [] };
  }
}

export const isPulled = (state: OllamaState, name: string): boolean => state.pulled.some((p) => p === name || p === `${name}:latest`);

/**
 * Pulls one model, drawing a bar from the streamed progress (or, when output is not a terminal,
 * a progress line every few seconds). Resolves when Ollama says success; rejects with its error.
 */
export async function pullModel(host: string, name: string, output: NodeJS.WritableStream = process.stdout): Promise<void> {
  // No overall timeout: a 4 GB download on a slow line takes as long as it takes.
  const ollama = new Ollama({ host });
  const bar = new cliProgress.SingleBar(
    {
      stream: output,
      format: `  ${name.padEnd(18)} {bar} {percentage}% | {done} of {size} | {status}`,
      barsize: 24,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 3_000,
      formatValue: (value, _options, type) => (type === 'percentage' ? String(value).padStart(3) : String(value)),
    },
    cliProgress.Presets.shades_classic,
  );
  const layers = new Map<string, { total: number; completed: number }>();
  let started = false;
  try {
    for await (const progress of await ollama.pull({ model: name, stream: true })) {
      if (progress.digest && progress.total) layers.set(progress.digest, { total: progress.total, completed: progress.completed ?? 0 });
      const total = [...layers.values()].reduce((sum, l) => sum + l.total, 0);
      const completed = [...layers.values()].reduce((sum, l) => sum + l.completed, 0);
      const payload = { status: progress.status, done: megabytes(completed), size: total ? megabytes(total) : '?' };
      if (!started) {
        bar.start(Math.max(total, 1), completed, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(completed, payload);
      }
    }
    bar.update(bar.getTotal(), { status: 'done' });
  } finally {
    if (started) bar.stop();
  }
}

const megabytes = (bytes: number) => (bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`);
