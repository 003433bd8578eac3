/**
 * Runs the real `hearth` command as a separate process, the way a person types it, with only the
 * environment given (plus PATH and HOME), and collects its output. Bounded: a run that does not
 * finish in time is killed and fails with what it printed.
 */
import { spawn } from 'node:child_process';
import { scaled } from './time-scale.ts';
import { assertTestLive } from './test-scope.ts';

export interface HearthRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Standard input, e.g. lines for `hearth chat`. */
  input?: string;
  timeoutMs?: number;
}

export function runHearth(args: string[], env: Record<string, string>, options: RunOptions = {}): Promise<HearthRun> {
  assertTestLive(`run hearth ${args.join(' ')}`);
  const timeoutMs = scaled(options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/hearth.js', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HEARTH_CONFIG: 'hearth.config.example.yaml', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hearth ${args.join(' ')} did not finish in ${timeoutMs / 1000} s:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
