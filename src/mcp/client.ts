/**
 * One MCP server, kept connected: started (in its sandbox) or dialled, its tool list read and
 * re-read when it announces a change, calls bounded by the server's timeout and the turn's
 * signal, and — when it crashes or stops answering — its tools withdrawn and the server started
 * again with growing pauses (1 s, 2 s, 4 s … 5 min). Problems no pause can fix (bubblewrap
 * missing, a variable not set) are not retried; they say what to do.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { scrubSecrets, type Logger } from '../log.ts';
import { redactText } from '../audit/redact.ts';
import type { McpServerConfig } from './config.ts';
import { ProcessTransport } from './process-transport.ts';
import { MissingVariableError, resolveReferences } from './references.ts';
import { SandboxUnavailableError, absoluteCommand, explainBwrapFailure, missingBwrapMessage, sandboxedCommand, which } from './sandbox.ts';

export type ServerState = 'configured' | 'starting' | 'running' | 'restarting' | 'failed' | 'disabled' | 'stopped';

const START_TIMEOUT_MS = 60_000;
const FIRST_PAUSE_MS = 1_000;
const LONGEST_PAUSE_MS = 5 * 60_000;
/** A server that stayed up this long starts its pauses from the beginning again after a crash. */
const STABLE_MS = 60_000;
/** Environment a server started without a sandbox inherits (as the SDK does): never Hearth's secrets. */
const INHERITED_ENV = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG'];

const offers = (count: number) => `offers ${count} tool${count === 1 ? '' : 's'}`;

/** A problem the owner must fix; retrying would only repeat it. */
class PermanentError extends Error {
  override name = 'PermanentError';
}

export interface ConnectionOptions {
  name: string;
  config: McpServerConfig;
  dataDir: string;
  defaultTimeoutMs: number;
  log: Logger;
  /** Restart after a crash or a failed start (false for `hearth doctor`'s single look). */
  restart: boolean;
  /** The server's current tools: after connecting and after each list change. */
  onTools(tools: Tool[]): void;
  /** The server went away; its tools must leave the catalogue. */
  onDown(reason: string): void;
}

export class ServerConnection {
  readonly name: string;
  readonly config: McpServerConfig;
  state: ServerState;
  /** Why it is in this state, in the owner's words. */
  detail = '';
  restarts = 0;
  tools: Tool[] = [];
  private readonly options: ConnectionOptions;
  private client: Client | undefined;
  private transport: Transport | undefined;
  private attempt = 0;
  private runningSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  /** A list change announced before the first list was read (servers that add tools once a client is initialized). */
  private changedWhileStarting = false;
  private stopped = false;

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.name = options.name;
    this.config = options.config;
    this.state = options.config.enabled ? 'configured' : 'disabled';
    this.detail = options.config.enabled ? 'not started' : 'enabled: false in its settings';
  }

  get timeoutMs(): number {
    return this.config.timeoutMs ?? this.options.defaultTimeoutMs;
  }

  /** One attempt to start; resolves when it is running or the attempt failed (a retry is then scheduled). */
  async start(): Promise<boolean> {
    if (!this.config.enabled || this.stopped) return false;
    this.state = this.attempt === 0 ? 'starting' : 'restarting';
    const log = this.options.log;
    try {
      await this.connect();
      this.state = 'running';
      this.runningSince = Date.now();
      this.detail = offers(this.tools.length);
      log.info({ server: this.name, tools: this.tools.length }, 'MCP server connected');
      if (this.changedWhileStarting) void this.refresh();
      return true;
    } catch (error) {
      const reason = this.explain(error);
      await this.closeQuietly();
      if (error instanceof PermanentError || !this.options.restart) {
        this.state = 'failed';
        this.detail = reason;
        log.error({ server: this.name }, `MCP server not started: ${reason}`);
      } else {
        this.scheduleRestart(`could not start: ${reason}`);
      }
      return false;
    }
  }

  private async connect(): Promise<void> {
    let config: McpServerConfig;
    try {
      config = resolveReferences(this.name, this.config);
    } catch (error) {
      if (error instanceof MissingVariableError) throw new PermanentError(error.message);
      throw error;
    }
    const transport = this.openTransport(config);
    const client = new Client({ name: 'hearth', version: '0.1.0' }, { capabilities: {} });
    this.changedWhileStarting = false;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void this.refresh());
    this.client = client;
    this.transport = transport;
    await client.connect(transport, { timeout: START_TIMEOUT_MS });
    this.tools = await this.listTools(client);
    // Only now: a failure before this point is a failed start, not a crash.
    client.onclose = () => this.lost(this.exitDescription() ?? 'the connection closed');
    // An HTTP server that dies only breaks the event stream the SDK keeps open: ask whether it is still there.
    if (config.transport === 'http') client.onerror = (error) => void this.alive().then((ok) => ok || this.lost(`it stopped answering (${error.message})`));
    this.options.onTools(this.tools);
  }

  private openTransport(config: McpServerConfig): Transport {
    if (config.transport === 'http') return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } });
    const onStderr = (line: string) => this.options.log.debug({ server: this.name, stderr: line }, 'MCP server output');
    const command = absoluteCommand(config.command);
    if (config.sandbox === false) {
      const inherited = Object.fromEntries(INHERITED_ENV.flatMap((key) => (process.env[key] ? [[key, process.env[key]!]] : [])));
      return new ProcessTransport({ command, args: config.args, env: { ...inherited, ...config.env }, cwd: config.cwd, onStderr });
    }
    const bwrap = which('bwrap');
    if (!bwrap) throw new PermanentError(missingBwrapMessage(this.name));
    const stateDir = resolve(join(this.options.dataDir, 'mcp', this.name));
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    try {
      const sandboxed = sandboxedCommand({ bwrap, prlimit: which('prlimit'), command, args: config.args, env: config.env, cwd: config.cwd, stateDir, settings: config.sandbox, path: process.env.PATH ?? '/usr/bin:/bin' });
      return new ProcessTransport({ ...sandboxed, onStderr });
    } catch (error) {
      if (error instanceof SandboxUnavailableError) throw new PermanentError(error.message);
      throw error;
    }
  }

  private async listTools(client: Client): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.timeoutMs });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor && tools.length < 1_000);
    return tools;
  }

  /** `notifications/tools/list_changed`: read the list again (one read at a time). */
  private refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(async () => {
      const client = this.client;
      if (this.state !== 'running' || !client) {
        this.changedWhileStarting = true;
        return;
      }
      this.changedWhileStarting = false;
      try {
        this.tools = await this.listTools(client);
        this.detail = offers(this.tools.length);
        this.options.log.info({ server: this.name, tools: this.tools.length }, 'MCP server changed its tools; list re-read');
        this.options.onTools(this.tools);
      } catch (error) {
        this.options.log.warn({ server: this.name, err: error }, 'MCP server announced new tools, but listing them failed');
      }
    });
    return this.refreshing;
  }

  /** Calls one tool; throws with a message fit for the model when it cannot. */
  async call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    const client = this.client;
    if (this.state !== 'running' || !client) throw new Error(this.unavailable());
    try {
      return (await client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: this.timeoutMs, maxTotalTimeout: this.timeoutMs })) as CallToolResult;
    } catch (error) {
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        throw new Error(`${tool} on the ${this.name} server did not finish within ${Math.round(this.timeoutMs / 100) / 10} s and was cancelled (the server's timeoutMs)`);
      }
      if (signal.aborted) throw new Error(`${tool} on the ${this.name} server was cancelled: the turn ran out of time`);
      if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) throw new Error(`the ${this.name} server stopped while running ${tool} (${this.detail}); its tools are unavailable until it is back`);
      if (error instanceof McpError) throw new Error(`the ${this.name} server refused the call: ${error.message}`);
      // Not an answer from the server: is it still there?
      if (!(await this.alive())) this.lost(`it stopped answering (${(error as Error).message})`);
      throw new Error(`the ${this.name} server could not be reached: ${(error as Error).message}`);
    }
  }

  private async alive(): Promise<boolean> {
    try {
      await this.client?.ping({ timeout: 5_000 });
      return true;
    } catch {
      return false;
    }
  }

  /** What the model (and `hearth tools`) is told while the server is not running. */
  unavailable(): string {
    if (this.state === 'restarting' || this.state === 'starting') return `the ${this.name} tool server is not running (${this.detail}); it is being restarted, so its tools are unavailable for now`;
    return `the ${this.name} tool server is not running (${this.detail})`;
  }

  private lost(reason: string): void {
    if (this.stopped || this.state !== 'running') return;
    const stderr = this.stderrTail();
    this.options.log.warn({ server: this.name, reason, stderr }, `MCP server ${this.name} went away: ${reason}; its tools are unavailable until it is back`);
    if (Date.now() - this.runningSince >= STABLE_MS) this.attempt = 0;
    this.options.onDown(reason);
    void this.closeQuietly();
    this.scheduleRestart(reason);
  }

  private scheduleRestart(reason: string): void {
    if (this.stopped) return;
    const pause = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** this.attempt);
    this.attempt++;
    this.state = 'restarting';
    this.detail = `${reason}; next try in ${Math.round(pause / 1000)} s`;
    this.options.log.warn({ server: this.name, pauseMs: pause }, `MCP server ${this.name}: ${this.detail}`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.restarts++;
      void this.start();
    }, pause);
    this.timer.unref();
  }

  private exitDescription(): string | undefined {
    const exit = this.transport instanceof ProcessTransport ? this.transport.exit : undefined;
    if (!exit) return undefined;
    return exit.signal ? `the server process was killed (${exit.signal})` : `the server process exited with code ${exit.code}`;
  }

  private stderrTail(): string {
    return this.transport instanceof ProcessTransport ? scrubSecrets(this.transport.stderr.trim().split('\n').slice(-5).join('\n')) : '';
  }

  /** Why a start failed, with the server's last words; never with a secret in it (this reaches `hearth tools` and the model). */
  private explain(error: unknown): string {
    const message = (error as Error).message ?? String(error);
    if (error instanceof PermanentError) return message;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `the command ${this.config.transport === 'stdio' ? this.config.command : ''} was not found. Fix: install it, or give its full path`;
    const stderr = this.stderrTail();
    const reason = explainBwrapFailure(stderr) ?? [this.exitDescription() ?? message, stderr && `it said: ${stderr.split('\n').at(-1)}`].filter(Boolean).join('; ');
    return redactText(scrubSecrets(reason));
  }

  private async closeQuietly(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) client.onclose = undefined;
    await client?.close().catch(() => undefined);
    await this.transport?.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.closeQuietly();
    if (this.state !== 'disabled' && this.state !== 'failed') {
      this.state = 'stopped';
      this.detail = 'Hearth stopped it';
    }
  }
}
