/**
 * How MCP servers are configured: the `mcpServers` entries that server READMEs show (stdio:
 * `command`, `args`, `env`, `cwd`; Streamable HTTP: `url`, `headers`), so a snippet pasted into
 * hearth.config.yaml under `mcp.servers` or into the JSON file named by HEARTH_MCP_CONFIG works
 * unchanged, plus Hearth's own keys: risk, per-tool overrides, default decisions, the sandbox,
 * the call timeout and an on/off switch. One strict schema per server, so a typo is reported by
 * its key rather than ignored.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Decision, Role, ToolRisk } from '../access/types.ts';

export interface GrantedPath {
  path: string;
  write: boolean;
}

export interface SandboxSettings {
  /** Whether the server may use the network at all (default: no). */
  network: boolean;
  /** Folders (or files) the server may see besides its own state folder. */
  paths: GrantedPath[];
  /** Data-segment limit (RLIMIT_DATA) in MiB. */
  memoryMb: number;
  /** CPU time limit (RLIMIT_CPU) in seconds over the process's life; past it the server is restarted. */
  cpuSeconds: number;
}

export interface ToolOverride {
  off: boolean;
  risk?: ToolRisk;
  defaultDecision?: Partial<Record<Role, Decision>>;
}

interface CommonSettings {
  risk: ToolRisk;
  tools: Record<string, ToolOverride>;
  defaultDecision?: Partial<Record<Role, Decision>>;
  timeoutMs?: number;
  enabled: boolean;
}

export interface StdioServerConfig extends CommonSettings {
  transport: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  sandbox: SandboxSettings | false;
}

export interface HttpServerConfig extends CommonSettings {
  transport: 'http';
  url: string;
  headers: Record<string, string>;
}

export type McpServerConfig = StdioServerConfig | HttpServerConfig;

export const SANDBOX_DEFAULTS: SandboxSettings = { network: false, paths: [], memoryMb: 1024, cpuSeconds: 900 };

const risk = z.enum(['read', 'write', 'external']);
const decision = z.enum(['allow', 'ask', 'deny']);
const perRole = z.object({ owner: decision.optional(), member: decision.optional(), guest: decision.optional() }).strict();

const toolOverride = z.union(
  [
    z.literal('off').transform((): ToolOverride => ({ off: true })),
    risk.transform((value): ToolOverride => ({ off: false, risk: value })),
    z
      .object({ risk: risk.optional(), defaultDecision: perRole.optional(), enabled: z.boolean().default(true) })
      .strict()
      .transform(({ enabled, ...rest }): ToolOverride => ({ off: !enabled, ...rest })),
  ],
  { error: 'expected off, read, write, external, or { risk, defaultDecision, enabled }' },
);

const grantedPath = z.union([
  z
    .string()
    .min(1)
    .transform((path): GrantedPath => ({ path, write: false })),
  z.object({ path: z.string().min(1), write: z.boolean().default(false) }).strict(),
]);

const sandbox = z.union([
  z.boolean(),
  z
    .object({
      network: z.boolean().default(SANDBOX_DEFAULTS.network),
      paths: z.array(grantedPath).default([]),
      memoryMb: z.number().int().min(256).default(SANDBOX_DEFAULTS.memoryMb),
      cpuSeconds: z.number().int().min(1).default(SANDBOX_DEFAULTS.cpuSeconds),
    })
    .strict(),
]);

const server = z
  .object({
    // What server READMEs write.
    type: z.enum(['stdio', 'http', 'streamable-http', 'streamableHttp']).optional(),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    disabled: z.boolean().optional(),
    // Hearth's own.
    risk: risk.default('external'),
    tools: z.record(z.string(), toolOverride).default({}),
    defaultDecision: perRole.optional(),
    sandbox: sandbox.optional(),
    timeoutMs: z.number().int().positive().optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .superRefine((entry, context) => {
    const problem = (message: string) => context.addIssue({ code: 'custom', message });
    if (entry.command && entry.url) problem('has both "command" and "url": a server is either a program Hearth starts (command) or an HTTP address (url)');
    else if (!entry.command && !entry.url) problem('needs "command" (a program Hearth starts, e.g. npx) or "url" (a Streamable HTTP server)');
    if (entry.url && (entry.args || entry.env || entry.cwd)) problem('"args", "env" and "cwd" belong to servers Hearth starts (with "command"), not to "url" servers');
    if (entry.command && entry.headers) problem('"headers" belong to HTTP servers (with "url")');
    if (entry.url && entry.sandbox !== undefined) problem('"sandbox" applies to servers Hearth starts (with "command"); an HTTP server runs elsewhere');
    if (entry.type === 'stdio' && entry.url) problem('"type: stdio" needs "command", not "url"');
    if (entry.type && entry.type !== 'stdio' && entry.command) problem(`"type: ${entry.type}" needs "url", not "command"`);
  })
  .transform((entry): McpServerConfig => {
    const common: CommonSettings = {
      risk: entry.risk,
      tools: entry.tools,
      defaultDecision: entry.defaultDecision,
      timeoutMs: entry.timeoutMs,
      enabled: entry.enabled ?? !entry.disabled,
    };
    if (entry.url) return { ...common, transport: 'http', url: entry.url, headers: entry.headers ?? {} };
    const box = entry.sandbox === undefined || entry.sandbox === true ? SANDBOX_DEFAULTS : entry.sandbox === false ? false : entry.sandbox;
    return { ...common, transport: 'stdio', command: entry.command!, args: entry.args ?? [], env: entry.env ?? {}, cwd: entry.cwd, sandbox: box };
  });

/** Server names become tool-name prefixes and grant keys (`mcp:<name>:*`), so they stay plain. */
export const SERVER_NAME = /^[A-Za-z0-9_-]{1,32}$/;

export const mcpServersSchema = z.record(z.string().regex(SERVER_NAME, 'a server name may use only letters, digits, _ and - (at most 32)'), server).default({});

export const MCP_SERVERS_HINT = 'a server takes command, args, env, cwd (a program Hearth starts) or url, headers (Streamable HTTP), and Hearth\'s risk, tools, defaultDecision, sandbox, timeoutMs, enabled; see docs/tools.md';

/**
 * The JSON file named by HEARTH_MCP_CONFIG: `{"mcpServers": {...}}`, the shape server READMEs
 * and other MCP clients use. Throws with the fix when it cannot be read.
 */
export function readMcpConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`HEARTH_MCP_CONFIG names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Fix: create it with {"mcpServers": {…}}, or unset HEARTH_MCP_CONFIG.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}. Fix: correct the syntax (a server README's snippet is usually a whole {"mcpServers": {…}} object).`);
  }
  if (!parsed || typeof parsed !== 'object' || !('mcpServers' in parsed)) {
    throw new Error(`${file} has no "mcpServers" object. Fix: write it as {"mcpServers": {"name": {"command": …}}}.`);
  }
  return (parsed as { mcpServers: unknown }).mcpServers;
}
