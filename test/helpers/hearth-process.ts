/**
 * A `hearth` command that keeps running while the test talks to it: `hearth start`, or
 * `hearth setup` / `hearth owner claim` waiting for a `/claim CODE`. Output is collected as it
 * comes, the test waits for a line, and the process is stopped (and awaited) at the end. Either
 * through pipes, or through a real pseudo-terminal (node-pty) for the interactive wizard.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import pty from '@lydell/node-pty';
import { eventually } from './eventually.ts';
import { assertTestLive } from './test-scope.ts';
import { scaled } from './time-scale.ts';

export interface HearthProcess {
  output(): string;
  /** Resolves with the match once the output matches. */
  waitFor(pattern: RegExp, what: string, ms?: number): Promise<RegExpMatchArray>;
  /** Types into the terminal (pty) or standard input (pipes). */
  write(text: string): void;
  /** Resolves with the exit code. */
  exited(ms?: number): Promise<number | null>;
  stop(): Promise<void>;
  /** Sends a signal, e.g. SIGKILL for a crash nothing can clean up after. */
  kill(signal: NodeJS.Signals): void;
}

const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' });

export function spawnHearth(args: string[], env: Record<string, string>, options: { terminal?: boolean } = {}): HearthProcess {
  assertTestLive(`start hearth ${args.join(' ')}`);
  let output = '';
  let exitCode: number | null | undefined;
  let onExit: Array<() => void> = [];
  const finished = (code: number | null) => {
    exitCode = code;
    for (const wake of onExit) wake();
    onExit = [];
  };
  let write: (text: string) => void;
  let kill: (signal: NodeJS.Signals) => void;
  if (options.terminal) {
    const term = pty.spawn(process.execPath, ['bin/hearth.js', ...args], { name: 'xterm-256color', cols: 120, rows: 40, cwd: process.cwd(), env: { ...baseEnv(), TERM: 'xterm-256color', ...env } });
    term.onData((data) => (output += data));
    term.onExit(({ exitCode: code }) => finished(code));
    write = (text) => term.write(text);
    kill = (signal) => term.kill(signal);
  } else {
    const child: ChildProcess = spawn(process.execPath, ['bin/hearth.js', ...args], { env: { ...baseEnv(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.on('close', (code) => finished(code));
    write = (text) => child.stdin!.write(text);
    kill = (signal) => child.kill(signal);
  }
  const exited = (ms = 60_000) =>
    exitCode !== undefined
      ? Promise.resolve(exitCode)
      : new Promise<number | null>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`hearth ${args.join(' ')} did not exit in ${scaled(ms)} ms; output:\n${output}`)), scaled(ms));
          onExit.push(() => {
            clearTimeout(timer);
            resolve(exitCode!);
          });
        });
  return {
    output: () => output,
    waitFor: (pattern, what, ms = 30_000) =>
      eventually(() => output.match(pattern) ?? (exitCode !== undefined ? failExited(what, output) : undefined), what, ms).catch((error: Error) => {
        throw new Error(`${error.message}; output so far:\n${output.slice(-3000)}`);
      }),
    write: (text) => write(text),
    kill: (signal) => kill(signal),
    exited,
    async stop() {
      if (exitCode !== undefined) return;
      kill('SIGTERM');
      await exited(20_000).catch(() => kill('SIGKILL'));
    },
  };
}

function failExited(what: string, output: string): never {
  throw new Error(`hearth exited before ${what}; output:\n${output}`);
}
