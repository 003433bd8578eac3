/**
 * Every tool Hearth knows, from every source: built-in tools, features' tools (memory,
 * reminders, calendar…) and tools that come and go while Hearth runs (an MCP server connects,
 * restarts, or changes its list). The gateway, the admin API, `hearth people` and `hearth tools`
 * all read this one catalogue. It never decides who may call what: that is Permissions' job.
 */
import type { ToolDefinition } from './tool.ts';

type Listener = () => void;

/** How a source that comes and goes is doing (an MCP server: running, restarting…), for `hearth tools`. */
export interface SourceStatus {
  state: string;
  detail: string;
  [more: string]: unknown;
}

export class ToolCatalog {
  /** Tools by source, in the order sources were first added. */
  private readonly sources = new Map<string, ToolDefinition[]>();
  private byName = new Map<string, ToolDefinition>();
  private readonly listeners = new Set<Listener>();
  private readonly statuses = new Map<string, SourceStatus>();
  /** Tools whose source went away, and why: a model that still calls one is told. */
  private readonly gone = new Map<string, { tool: ToolDefinition; reason: string }>();

  constructor(sources: Record<string, ToolDefinition[]> = {}) {
    for (const [source, tools] of Object.entries(sources)) this.replace(source, tools);
  }

  /**
   * Sets the tools of one source, replacing what it offered before (an MCP server that
   * reconnected). A name another source already uses is refused: the model must never call one
   * tool and get another's behaviour.
   */
  replace(source: string, tools: ToolDefinition[]): void {
    const taken = new Map<string, string>();
    for (const [other, list] of this.sources) if (other !== source) for (const tool of list) taken.set(tool.name, other);
    const seen = new Set<string>();
    for (const tool of tools) {
      const owner = taken.get(tool.name);
      if (owner) throw new Error(`tool "${tool.name}" from ${source} clashes with the tool of that name from ${owner}`);
      if (seen.has(tool.name)) throw new Error(`tool "${tool.name}" appears twice in ${source}`);
      seen.add(tool.name);
    }
    this.sources.set(source, [...tools]);
    for (const tool of tools) this.gone.delete(tool.name);
    this.reindex();
  }

  /** Takes a source's tools away (its server stopped or crashed); `reason` is what a caller of one is told. */
  remove(source: string, reason?: string): void {
    for (const tool of this.sources.get(source) ?? []) if (reason) this.gone.set(tool.name, { tool, reason });
    if (this.sources.delete(source)) this.reindex();
  }

  /** A tool that used to be here and why it is not (its server is restarting), if that is known. */
  unavailable(name: string): { tool: ToolDefinition; reason: string } | undefined {
    return this.byName.has(name) ? undefined : this.gone.get(name);
  }

  /** Records how a source is doing; undefined forgets it. */
  setStatus(source: string, status: SourceStatus | undefined): void {
    if (status) this.statuses.set(source, status);
    else this.statuses.delete(source);
  }

  status(): Array<SourceStatus & { source: string }> {
    return [...this.statuses].map(([source, status]) => ({ ...status, source }));
  }

  get(name: string): ToolDefinition | undefined {
    return this.byName.get(name);
  }

  list(): ToolDefinition[] {
    return [...this.byName.values()];
  }

  /** Which source a tool came from ("builtin", "memory", "mcp:files"…). */
  sourceOf(name: string): string | undefined {
    for (const [source, tools] of this.sources) if (tools.some((t) => t.name === name)) return source;
    return undefined;
  }

  /** Called after every change; returns a function that stops listening. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private reindex(): void {
    this.byName = new Map([...this.sources.values()].flat().map((tool) => [tool.name, tool]));
    for (const listener of this.listeners) listener();
  }
}
