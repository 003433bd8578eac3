/**
 * What a tool is: a name the model calls, a risk level that permissions are decided on, an
 * optional group that grants can name at once (`mcp:github:*`), and a schema that both checks the
 * model's arguments and is what the model is shown. Hearth's own tools write the schema in zod
 * (`defineTool`); tools that bring a JSON Schema of their own (MCP servers) supply a `ToolSchema`
 * directly.
 */
import { z } from 'zod';
import type { Tool as OllamaTool } from 'ollama';
import type { ConversationRef } from '../core/index.ts';
import type { Decision, Person, Role, ToolRisk } from '../access/types.ts';
import type { Logger } from '../log.ts';

export type { ToolRisk } from '../access/types.ts';

export interface ToolContext {
  /** The person whose message started this turn: the only source of permissions. */
  person: Person;
  platform: string;
  /** Where the call came from: a tool that answers later (a reminder) answers here. */
  conversation: ConversationRef;
  conversationKey: string;
  /** Aborted when the turn times out or Hearth stops: pass it to every network call. */
  signal: AbortSignal;
  /** The turn's clock reading, so a tool and the prompt agree on "now". */
  now: Date;
  /** The sender's IANA time zone (theirs, or the household's). */
  timeZone: string;
  log: Logger;
  /** The inbound journal entry of this turn (provenance for what a tool writes, e.g. memories). */
  journalId?: number;
}

export type ParseResult = { ok: true; data: Record<string, unknown> } | { ok: false; error: string };

/** The arguments a tool takes: shown to the model as JSON Schema, checked before every call. */
export interface ToolSchema {
  /** A JSON Schema object (`{ type: 'object', properties, required }`). */
  json: Record<string, unknown>;
  parse(args: unknown): ParseResult;
}

export interface ToolDefinition {
  name: string;
  description: string;
  risk: ToolRisk;
  /** Grants may name every tool of a group at once as `<group>:*` (e.g. `mcp:github`). */
  group?: string;
  /**
   * The tool's own default per role, where it differs from the role's default for its risk:
   * a tool that reads private data says `{ guest: 'deny' }`. Per-person grants still win.
   */
  defaultDecision?: Partial<Record<Role, Decision>>;
  schema: ToolSchema;
  /** Argument names to mask in audit records and approval requests, besides the ones that look secret anyway. */
  secretArguments?: readonly string[];
  /**
   * What an approver is shown, from the (already masked) arguments, when the one-line summary
   * would hide something they must see (an email's whole body). Default: the arguments, shortened.
   */
  approvalText?(args: Record<string, unknown>): string;
  run(args: Record<string, unknown>, context: ToolContext): Promise<string>;
}

/** A tool whose arguments are a zod object: one schema validates them and is what the model sees. */
export interface ZodToolDefinition<Schema extends z.ZodObject> extends Omit<ToolDefinition, 'schema' | 'run'> {
  parameters: Schema;
  run(args: z.infer<Schema>, context: ToolContext): Promise<string>;
}

export function defineTool<Schema extends z.ZodObject>(tool: ZodToolDefinition<Schema>): ToolDefinition {
  const { parameters, run, ...rest } = tool;
  return { ...rest, schema: zodSchema(parameters), run: (args, context) => run(args as z.infer<Schema>, context) };
}

/** Schemas made already: a tool made for every turn (find_tools) converts its schema once. */
const schemas = new WeakMap<z.ZodObject, ToolSchema>();

export function zodSchema(parameters: z.ZodObject): ToolSchema {
  const made = schemas.get(parameters);
  if (made) return made;
  const { $schema: _ignored, additionalProperties: _alsoIgnored, ...json } = z.toJSONSchema(parameters) as Record<string, unknown>;
  const schema: ToolSchema = {
    json: withoutLengthLimits(json) as Record<string, unknown>,
    parse(args) {
      const parsed = parameters.safeParse(args);
      if (parsed.success) return { ok: true, data: parsed.data as Record<string, unknown> };
      return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ') };
    },
  };
  schemas.set(parameters, schema);
  return schema;
}

/**
 * Hearth's own schemas without minLength/maxLength: they guard the arguments (parse() still
 * checks them, and the model is told what was wrong), but in every prompt they are only bytes.
 */
function withoutLengthLimits(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutLengthLimits);
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).filter(([key]) => key !== 'minLength' && key !== 'maxLength').map(([key, value]) => [key, key === 'enum' || key === 'const' ? value : withoutLengthLimits(value)]));
}

/** The schema as the model sees it; kept minimal because every byte is prompt processing time on a CPU. */
export function toOllamaTool(tool: ToolDefinition): OllamaTool {
  return { type: 'function', function: { name: tool.name, description: briefDescription(tool.description), parameters: tool.schema.json as OllamaTool['function']['parameters'] } };
}

/** Longer than this, a description is cut to its first sentence(s) for the prompt (find_tools shows it whole). */
const BRIEF_CHARS = 120;

/**
 * MCP servers often describe a tool in a paragraph of advice ("Use this tool when…"); the first
 * sentence says what it does. The argument schema is left as the server declared it.
 */
export function briefDescription(description: string): string {
  if (description.length <= BRIEF_CHARS) return description;
  // Sentences end at . ! or ? before a space, not after "e.g." or "i.e." (a match that skipped
  // such a stop would lose the start of the description).
  const sentences = description.split(/(?<=[.!?])(?<!\b(?:e\.g|i\.e|etc)\.)\s+/).map((sentence) => `${sentence} `);
  let brief = '';
  for (const sentence of sentences) {
    if (brief && brief.length + sentence.length > BRIEF_CHARS) break;
    brief += sentence;
  }
  brief = brief.trim();
  return brief && brief.length <= BRIEF_CHARS + 40 ? brief : `${description.slice(0, BRIEF_CHARS).trimEnd()}…`;
}
