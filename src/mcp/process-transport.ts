/**
 * MCP over a child process's stdin/stdout, like the SDK's StdioClientTransport (whose message
 * framing it reuses), with what Hearth needs on top: the server gets its own process group, so
 * stop kills everything it started (`npx` → `sh` → `node`), not just the first process; the
 * environment is exactly what the caller gives (nothing inherited); and the end of its stderr is
 * kept, because when a server dies that is where it says why.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

const STDERR_KEPT = 4_000;
const GRACE_MS = 2_000;

export interface ProcessSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** Each line the server writes to stderr (for debug logs). */
  onStderr?: (line: string) => void;
}

export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** How the process ended, once it has. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly spec: ProcessSpec;
  private readonly buffer = new ReadBuffer();
  private child: ChildProcessWithoutNullStreams | undefined;
  private stderrTail = '';
  private closing = false;

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  /** The last few thousand characters the server wrote to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.spec.command, this.spec.args, { env: this.spec.env, cwd: this.spec.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      this.child = child;
      child.once('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.once('spawn', () => resolve());
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.child = undefined;
        this.onclose?.();
      });
      child.stdin.on('error', (error) => this.onerror?.(error));
      child.stdout.on('data', (chunk: Buffer) => {
        this.buffer.append(chunk);
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.buffer.readMessage();
          } catch (error) {
            this.onerror?.(error as Error); // a line that is not JSON-RPC: servers that log to stdout
            continue;
          }
          if (!message) break;
          this.onmessage?.(message);
        }
      });
      let partial = '';
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEPT);
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) this.spec.onStderr?.(line);
      });
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin?.writable) throw new Error('the server process is not running');
    if (!stdin.write(serializeMessage(message))) await new Promise((resolve) => stdin.once('drain', resolve));
  }

  /** Ends stdin (servers exit on EOF), then SIGTERM, then SIGKILL, each to the whole process group. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.closing) return;
    this.closing = true;
    const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const within = (ms: number) => Promise.race([ended.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
    child.stdin.end();
    if (!(await within(GRACE_MS))) {
      killGroup(child.pid, 'SIGTERM');
      if (!(await within(GRACE_MS))) {
        killGroup(child.pid, 'SIGKILL');
        await within(GRACE_MS);
      }
    }
    // Whatever the leader did, nothing it started may stay behind.
    killGroup(child.pid, 'SIGKILL');
    this.buffer.clear();
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}
