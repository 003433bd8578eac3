/**
 * Start-up time and memory of the real `hearth start` process, started the way users start it
 * (bin/hearth.js, as `npx hearth start` does), connected to the Telegram and Ollama stand-ins:
 * first starts on new data folders, restarts on one, and the same process on PostgreSQL. Ready
 * means the first getUpdates reached Telegram; idle memory is read once start-up has settled,
 * after a few answered messages (so the answering code is loaded, as on a real box).
 *
 * `node bench/startup.ts` runs this part alone; `--node-arg=<flag>` (repeatable) adds Node flags
 * in front, to compare V8 settings.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { personText, startFakeOllama, type FakeOllama } from '../test/fakes/ollama.ts';
import { startFakeTelegram, type FakeTelegram } from '../test/fakes/telegram.ts';
import { createTestDatabase } from '../test/helpers/databases.ts';
import { percentile } from './stats.ts';

export interface IdleFigures {
  driver: 'pglite' | 'postgres';
  /** Resident memory of the whole process after start-up settled, with Telegram connected. */
  idleRssMb: number;
  /** The most resident memory the process ever had (VmHWM), start-up included. */
  peakRssMb: number;
  /** V8's heap spaces (committed MB) and memory outside the heap at the same moment. */
  heap: Record<string, number>;
  /** A message posted on Telegram → the answer sent, instant model, one at a time. */
  answerMs: { p50: number; p99: number };
}

export interface StartupFigures {
  /** New data folder (PGlite): process start → first getUpdates (median of three). */
  firstStartMs: number;
  /** The same data folder again (median of three). */
  restartMs: number;
  /** PostgreSQL (DATABASE_URL), already migrated. */
  restartPostgresMs?: number;
  /** The most resident memory during any PGlite first start or restart. */
  startupPeakRssMb: number;
  idle: IdleFigures[];
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const settleMs = Number(process.env.HEARTH_BENCH_SETTLE_MS ?? 15_000);
const answers = 30;

/** Starts timed per kind: start-up times move by a few hundred ms between runs, so the median is reported. */
const timedStarts = 3;

export async function benchStartup(options: { databaseUrl?: string; nodeArgs?: string[] } = {}): Promise<StartupFigures> {
  const telegram = await startFakeTelegram();
  const ollama = await startFakeOllama();
  ollama.always((request) => `echo: ${personText([...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '')}`);
  const dataDirs: string[] = [];
  const run = (extra: Partial<RunOptions>) => startOnce({ telegram, ollama, dataDir: dataDirs.at(-1)!, nodeArgs: options.nodeArgs ?? [], ...extra });
  try {
    const firstStarts: RunFigures[] = [];
    for (let i = 0; i < timedStarts; i++) {
      dataDirs.push(mkdtempSync(join(tmpdir(), 'hearth-bench-startup-')));
      firstStarts.push(await run({}));
    }
    // Restarts on the last new folder; the last one stays up to measure idle memory.
    const restarts: RunFigures[] = [];
    for (let i = 0; i < timedStarts; i++) restarts.push(await run({ idle: i === timedStarts - 1 }));
    const onPostgres = options.databaseUrl ? await run({ databaseUrl: options.databaseUrl, idle: true }) : undefined;
    const median = (runs: RunFigures[]) => percentile(runs.map((r) => r.readyMs), 50);
    return {
      firstStartMs: median(firstStarts),
      restartMs: median(restarts),
      restartPostgresMs: onPostgres?.readyMs,
      startupPeakRssMb: Math.max(...firstStarts.map((r) => r.peakRssMb), ...restarts.map((r) => r.startupPeakRssMb)),
      idle: [restarts.at(-1)!.idle!, ...(onPostgres ? [onPostgres.idle!] : [])],
    };
  } finally {
    await telegram.close();
    await ollama.close();
    for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
  }
}

interface RunOptions {
  telegram: FakeTelegram;
  ollama: FakeOllama;
  dataDir: string;
  nodeArgs: string[];
  databaseUrl?: string;
  /** Stay up to measure idle memory and answers; otherwise stop once ready. */
  idle?: boolean;
}

interface RunFigures {
  readyMs: number;
  /** VmHWM when ready: the start-up's own peak. */
  startupPeakRssMb: number;
  peakRssMb: number;
  idle?: IdleFigures;
}

async function startOnce(options: RunOptions): Promise<RunFigures> {
  const { telegram, ollama } = options;
  const pollsBefore = telegram.callsTo('getUpdates').length;
  const started = performance.now();
  const child = spawn(process.execPath, [...options.nodeArgs, 'bin/hearth.js', 'start'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      // To compare with Node's compile cache off.
      ...(process.env.NODE_DISABLE_COMPILE_CACHE ? { NODE_DISABLE_COMPILE_CACHE: '1' } : {}),
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      HEARTH_CONFIG: '/dev/null',
      HEARTH_DATA_DIR: options.dataDir,
      HEARTH_HTTP_PORT: '0',
      HEARTH_LOG_FORMAT: 'json',
      HEARTH_OWNER: 'telegram:3001',
      HEARTH_STREAMING: 'false',
      HEARTH_MESSAGES_PER_MINUTE: '100000',
      OLLAMA_HOST: ollama.url,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = false;
  const closed = new Promise<void>((resolve) => child.once('close', () => ((exited = true), resolve())));
  const pid = child.pid!;
  // VmHWM is the peak so far; sampling VmRSS as well catches a peak in a process that died.
  let peakRssMb = 0;
  const sampler = setInterval(() => !exited && (peakRssMb = Math.max(peakRssMb, memoryMb(pid, 'VmHWM'))), 50);
  try {
    await waitUntil(() => exited || telegram.callsTo('getUpdates').length > pollsBefore, 60_000, () => `hearth start to poll Telegram:\n${output.slice(-3000)}`);
    if (exited) throw new Error(`hearth start exited before polling Telegram:\n${output.slice(-3000)}`);
    const readyMs = Math.round(performance.now() - started);
    const startupPeakRssMb = memoryMb(pid, 'VmHWM');
    let idle: IdleFigures | undefined;
    if (options.idle) {
      await waitUntil(() => output.includes('"Hearth is ready"'), 30_000, () => `the "Hearth is ready" line:\n${output.slice(-3000)}`);
      const answerMs = await answerTimes(telegram).catch((error: Error) => {
        throw new Error(`${error.message}:\n${output.slice(-3000)}`);
      });
      // Idle means idle: V8 shrinks its heap and hands memory back only after some quiet seconds.
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const http = /"http":"(http:\/\/[^"]+)"/.exec(output)?.[1]?.replace('0.0.0.0', '127.0.0.1');
      idle = {
        driver: options.databaseUrl ? 'postgres' : 'pglite',
        idleRssMb: memoryMb(pid, 'VmRSS'),
        peakRssMb: memoryMb(pid, 'VmHWM'),
        heap: http ? await heapSpaces(http) : {},
        answerMs,
      };
    }
    peakRssMb = Math.max(peakRssMb, memoryMb(pid, 'VmHWM'));
    return { readyMs, startupPeakRssMb, peakRssMb, idle };
  } finally {
    clearInterval(sampler);
    if (!exited) child.kill('SIGTERM');
    await closed;
  }
}

/** Messages from one person, one at a time: the time from posting to the answer on Telegram. */
async function answerTimes(telegram: FakeTelegram): Promise<{ p50: number; p99: number }> {
  const person = telegram.person(3001, 'Bench', 'bench');
  const chat = telegram.privateChat(person);
  const times: number[] = [];
  for (let i = 0; i < answers; i++) {
    const before = telegram.botMessages(chat.id).length;
    const posted = performance.now();
    telegram.post(chat, person, `message ${i}`);
    await waitUntil(() => telegram.botMessages(chat.id).length > before, 30_000, () => `the answer to message ${i}`, 1);
    times.push(performance.now() - posted);
  }
  // The first few load the answering code; latency is about the rest.
  const settled = times.slice(5);
  return { p50: percentile(settled, 50), p99: percentile(settled, 99) };
}

/** V8's heap spaces as the process's /metrics reports them (prom-client's default metrics). */
async function heapSpaces(http: string): Promise<Record<string, number>> {
  const text = await fetch(`${http}/metrics`).then((r) => r.text()).catch(() => '');
  const mb = (bytes: string) => Math.round(Number(bytes) / 1024 / 102.4) / 10;
  const heap: Record<string, number> = {};
  for (const [, space, bytes] of text.matchAll(/^hearth_nodejs_heap_space_size_total_bytes\{space="([a-z_]+)"\} (\d+)/gm)) heap[space!] = mb(bytes!);
  const external = /^hearth_nodejs_external_memory_bytes (\d+)/m.exec(text)?.[1];
  if (external) heap.external = mb(external);
  return heap;
}

function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

async function waitUntil(probe: () => boolean, ms: number, what: () => string, everyMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export function describeStartup(figures: StartupFigures): string[] {
  const lines = [
    `startup   first start (new data folder) ${figures.firstStartMs} ms · restart ${figures.restartMs} ms${figures.restartPostgresMs ? ` (PostgreSQL ${figures.restartPostgresMs} ms)` : ''} · peak RSS during start-up ${figures.startupPeakRssMb} MB`,
  ];
  for (const idle of figures.idle) {
    const heap = Object.entries(idle.heap).filter(([, mb]) => mb >= 0.5).map(([space, mb]) => `${space.replace(/_space$/, '')} ${mb}`).join(', ');
    lines.push(`idle      ${idle.driver.padEnd(8)} RSS ${idle.idleRssMb} MB (peak ${idle.peakRssMb} MB) · answer p50 ${idle.answerMs.p50} ms p99 ${idle.answerMs.p99} ms${heap ? ` · heap MB: ${heap}` : ''}`);
  }
  return lines;
}

// `node bench/startup.ts [--postgres] [--node-arg=--flag …]`: this part alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { postgres: { type: 'boolean', default: false }, 'node-arg': { type: 'string', multiple: true, default: [] }, json: { type: 'boolean', default: false } } });
  // A new database each time: the stand-in's message ids start over, and Hearth ignores a message it already has.
  const database = values.postgres ? await createTestDatabase('postgres') : undefined;
  const figures = await benchStartup({ databaseUrl: database?.databaseUrl, nodeArgs: values['node-arg'] }).finally(() => database?.drop());
  process.stdout.write(values.json ? `${JSON.stringify(figures, null, 2)}\n` : `${describeStartup(figures).join('\n')}\n`);
}
