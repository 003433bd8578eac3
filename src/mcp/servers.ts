/**
 * All configured MCP servers and the tool catalogue: a server's tools enter the catalogue (as
 * source `mcp:<server>`) when it connects or changes its list, and leave it — with the reason a
 * model that still calls one is told — when it goes away. Each server's state is published
 * beside its tools, so `hearth tools` and the admin API show what the gateway sees.
 */
import type { Config } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { ToolCatalog } from '../tools/catalog.ts';
import { redactText } from '../audit/redact.ts';
import type { McpServerConfig } from './config.ts';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConnection } from './client.ts';
import type { adaptTools as AdaptTools, SkippedTool } from './tool-adapter.ts';

/** How long start waits for servers before Hearth answers without the slow ones (they join later). */
const START_WAIT_MS = 15_000;

export interface McpServersOptions {
  config: Config;
  catalog: ToolCatalog;
  log: Logger;
  /** Restart crashed servers (false: one look, for `hearth doctor`). */
  restart: boolean;
}

export const sourceOf = (server: string) => `mcp:${server}`;

/** Where the server is, in words that carry no secret: its command line as configured, or its URL. */
export function describeLocation(config: McpServerConfig): string {
  return redactText(config.transport === 'http' ? config.url : [config.command, ...config.args].join(' '));
}

/** What the server may reach, for `hearth tools` and doctor. */
export function describeSandbox(config: McpServerConfig): string {
  if (config.transport === 'http') return 'remote (Streamable HTTP)';
  if (config.sandbox === false) return 'NOT sandboxed (sandbox: false): it has Hearth\'s rights';
  const { network, paths, memoryMb, cpuSeconds } = config.sandbox;
  const sees = paths.length ? `sees ${paths.map((p) => `${p.path} (${p.write ? 'writable' : 'read-only'})`).join(', ')}` : 'sees only its own folder';
  return `sandboxed: ${network ? 'network allowed' : 'no network'}, ${sees}, ${memoryMb} MiB, ${cpuSeconds} s CPU`;
}

export class McpServers {
  /** One per configured server, made by open(): until then the MCP SDK is not even loaded. */
  connections: ServerConnection[] = [];
  /** Tools each server offers that Hearth leaves out, and why (doctor reports them). */
  readonly skipped = new Map<string, SkippedTool[]>();
  private readonly options: McpServersOptions;
  private adaptTools: typeof AdaptTools | undefined;

  constructor(options: McpServersOptions) {
    this.options = options;
    const { config, catalog } = options;
    // Each server's status is published now, so an offline catalogue (`hearth tools`) lists
    // the servers as configured; the connections come when Hearth starts them.
    for (const [name, server] of Object.entries(config.mcp.servers)) {
      const source = sourceOf(name);
      const connection = () => this.connections.find((c) => c.name === name);
      const skipped = () => this.skipped.get(name) ?? [];
      catalog.setStatus(source, {
        server: name,
        transport: server.transport,
        location: describeLocation(server),
        sandbox: describeSandbox(server),
        get state() {
          return connection()?.state ?? (server.enabled ? 'configured' : 'disabled');
        },
        get detail() {
          return connection()?.detail ?? '';
        },
        get tools() {
          return catalog.list().filter((t) => catalog.sourceOf(t.name) === source).length;
        },
        get restarts() {
          return connection()?.restarts ?? 0;
        },
        get skipped() {
          return skipped();
        },
      });
    }
  }

  /**
   * Makes the connections (not started). The MCP SDK and its schema validator (about 120
   * modules) load here, so a Hearth without tool servers never loads them.
   */
  async open(): Promise<ServerConnection[]> {
    const { config, catalog, log } = this.options;
    const servers = Object.entries(config.mcp.servers);
    if (this.connections.length > 0 || servers.length === 0) return this.connections;
    const [{ ServerConnection }, { adaptTools }] = await Promise.all([import('./client.ts'), import('./tool-adapter.ts')]);
    this.adaptTools = adaptTools;
    this.connections = servers.map(([name, server]) => {
      const connection: ServerConnection = new ServerConnection({
        name,
        config: server,
        dataDir: config.dataDir,
        defaultTimeoutMs: config.mcp.timeoutMs,
        log: log.child({ feature: 'mcp' }),
        restart: this.options.restart,
        onTools: (tools) => this.publish(connection, tools),
        onDown: (reason) => catalog.remove(sourceOf(name), `the ${name} tool server went away (${reason}); Hearth is restarting it`),
      });
      return connection;
    });
    return this.connections;
  }

  private publish(connection: ServerConnection, tools: Tool[]): void {
    const { catalog, config } = this.options;
    const source = sourceOf(connection.name);
    const taken = new Set(catalog.list().filter((t) => catalog.sourceOf(t.name) !== source).map((t) => t.name));
    const adapted = this.adaptTools!(tools, {
      server: connection.name,
      config: connection.config,
      taken,
      maxOutputChars: config.mcp.maxOutputChars,
      call: (tool, args, context) => connection.call(tool, args, context.signal),
    });
    this.skipped.set(connection.name, adapted.skipped);
    for (const skip of adapted.skipped) this.options.log[skip.problem ? 'warn' : 'info']({ server: connection.name, tool: skip.tool, fix: skip.fix }, `MCP tool left out: ${skip.reason}`);
    catalog.replace(source, adapted.tools);
  }

  /** Starts every enabled server at once; waits a while for them, then lets the slow ones join when ready. */
  async start(): Promise<void> {
    const connections = await this.open();
    for (const connection of connections) {
      if (connection.config.transport === 'stdio' && connection.config.sandbox === false && connection.config.enabled) {
        this.options.log.warn({ server: connection.name }, `MCP server ${connection.name} runs without a sandbox (sandbox: false): it can read and change whatever Hearth can, and use the network`);
      }
    }
    const started = Promise.all(connections.map((c) => c.start()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([started, new Promise((resolve) => (timer = setTimeout(resolve, START_WAIT_MS)))]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.stop()));
    for (const connection of this.connections) this.options.catalog.remove(sourceOf(connection.name));
  }
}
