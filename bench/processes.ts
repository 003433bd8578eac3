/**
 * Throughput with one and with two real `hearth start` processes on one PostgreSQL: a burst of
 * messages from many people over the Telegram stand-in, a model stand-in that takes a fixed time
 * per answer. One process polls Telegram; every process answers turns, so a second one should
 * answer about twice as many at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { personText, startFakeOllama } from '../test/fakes/ollama.ts';
import { startFakeTelegram } from '../test/fakes/telegram.ts';
import { createTestDatabase } from '../test/helpers/databases.ts';

export interface ProcessesFigures {
  processes: number;
  messages: number;
  people: number;
  modelMs: number;
  seconds: number;
  messagesPerSecond: number;
}

export async function benchProcesses(options: { processes: number; messages?: number; people?: number; modelMs?: number }): Promise<ProcessesFigures> {
  const messages = options.messages ?? 300;
  const people = options.people ?? 30;
  const modelMs = options.modelMs ?? 300;
  const database = await createTestDatabase('postgres');
  const telegram = await startFakeTelegram();
  const ollama = await startFakeOllama();
  ollama.always((request) => {
    const last = [...request.messages].reverse().find((m) => m.role === 'user');
    return { content: `echo: ${personText(last?.content ?? '')}`, pieces: 1, pieceDelayMs: modelMs };
  });
  const accounts = Array.from({ length: people }, (_, i) => 2001 + i);
  const children: ChildProcess[] = [];
  const folders: string[] = [];
  let finished = false;
  let crashed: Error | undefined;
  let readyCount = 0;
  const waitFor = (probe: () => boolean, ms: number, what: string) =>
    waitUntil(() => {
      if (crashed) throw crashed;
      return probe();
    }, ms, what);
  try {
    for (let i = 0; i < options.processes; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-processes-'));
      folders.push(dataDir);
      const child = spawn(process.execPath, ['bin/hearth.js', 'start'], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          DATABASE_URL: database.databaseUrl!,
          HEARTH_DATA_DIR: dataDir,
          HEARTH_HTTP_PORT: '0',
          HEARTH_LOG_FORMAT: 'json',
          HEARTH_OWNER: accounts.map((id) => `telegram:${id}`).join(','),
          HEARTH_MESSAGES_PER_MINUTE: '100000',
          HEARTH_STREAMING: 'false',
          OLLAMA_HOST: ollama.url,
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      child.stdout!.on('data', (d) => {
        const before = output.includes('Hearth is ready');
        output += d;
        if (!before && output.includes('Hearth is ready')) readyCount += 1;
      });
      child.stderr!.on('data', (d) => (output += d));
      child.once('close', (code) => {
        if (!finished) crashed = new Error(`hearth start exited (${code}) during the benchmark:\n${output.slice(-2000)}`);
      });
    }
    await waitFor(() => readyCount === options.processes, 120_000, 'every process ready');
    await waitFor(() => telegram.callsTo('getUpdates').length > 0, 120_000, 'a process polling Telegram');

    const started = performance.now();
    const texts: string[] = [];
    for (let i = 0; i < messages; i++) {
      const person = telegram.person(accounts[i % people]!, `Person ${i % people}`);
      const text = `burst-${i}`;
      telegram.post(telegram.privateChat(person), person, text);
      texts.push(`echo: ${text}`);
    }
    const wanted = new Set(texts);
    await waitFor(() => telegram.botMessages().filter((m) => wanted.has(m.text)).length >= messages, 600_000, `answers to all ${messages} messages`);
    const seconds = (performance.now() - started) / 1000;
    return { processes: options.processes, messages, people, modelMs, seconds: Math.round(seconds * 10) / 10, messagesPerSecond: Math.round((messages / seconds) * 10) / 10 };
  } finally {
    finished = true;
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('close', resolve)))));
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    await ollama.close();
    await telegram.close();
    await database.drop();
  }
}

async function waitUntil(probe: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The `npm run bench` section: 1 and 2 processes (skipped with --quick or without PostgreSQL). */
export async function runProcessesBench(options: { quick: boolean; say(line: string): void; results: Record<string, unknown> }): Promise<void> {
  if (options.quick) return;
  const figures: ProcessesFigures[] = [];
  try {
    for (const processes of [1, 2]) figures.push(await benchProcesses({ processes }));
  } catch (error) {
    options.say(`\nprocesses not measured: ${(error as Error).message}`);
    return;
  }
  options.results.processes = figures;
  const [one, two] = figures;
  options.say(`\nprocesses ${one!.messages} messages from ${one!.people} people, model ${one!.modelMs} ms: ${figures.map((f) => `${f.processes} process(es) ${f.seconds} s (${f.messagesPerSecond} msg/s)`).join(' · ')} · speed-up ×${(two!.messagesPerSecond / one!.messagesPerSecond).toFixed(2)}`);
}
