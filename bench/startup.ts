/**
 * Cold start and idle memory of the real `hearth start` process: a fresh data folder, no chat
 * platforms, time until it logs "Hearth is ready", then its resident memory after settling.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface StartupFigures {
  firstStartMs: number;
  warmStartMs: number;
  idleRssMb: number;
  /** The same process on PostgreSQL (DATABASE_URL): Hearth without the embedded database. */
  idleRssPostgresMb?: number;
}

export async function benchStartup(dataDir: string, databaseUrl?: string): Promise<StartupFigures> {
  const first = await startOnce(dataDir, false);
  const warm = await startOnce(dataDir, true);
  const onPostgres = databaseUrl ? await startOnce(dataDir, true, databaseUrl) : undefined;
  return { firstStartMs: first.readyMs, warmStartMs: warm.readyMs, idleRssMb: warm.rssMb ?? Number.NaN, idleRssPostgresMb: onPostgres?.rssMb };
}

function startOnce(dataDir: string, measureRss: boolean, databaseUrl?: string): Promise<{ readyMs: number; rssMb?: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['src/cli.ts', 'start'], {
      env: { PATH: process.env.PATH ?? '', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), HEARTH_DATA_DIR: dataDir, HEARTH_HTTP_PORT: '0', OLLAMA_HOST: 'http://127.0.0.1:9', HEARTH_CONFIG: '/dev/null' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hearth start did not become ready in 60 s:\n${output}`));
    }, 60_000);
    child.stdout.on('data', async (chunk: Buffer) => {
      output += chunk;
      if (!output.includes('"Hearth is ready"')) return;
      child.stdout.removeAllListeners('data');
      const readyMs = Math.round(performance.now() - started);
      let rssMb: number | undefined;
      if (measureRss) {
        // Idle means idle: V8 hands freed memory back to the system only after some quiet seconds.
        await new Promise((r) => setTimeout(r, 20_000));
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        rssMb = Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      }
      clearTimeout(timer);
      child.once('exit', () => resolve({ readyMs, rssMb }));
      child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  });
}
