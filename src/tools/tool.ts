/**
 * What a tool is: a name the model calls, a risk level that permissions are decided on, a zod
 * schema that both validates the model's arguments and becomes the JSON schema it is shown.
 */
import { z } from 'zod';
import type { Tool as OllamaTool } from 'ollama';
import type { Person } from '../access/people.ts';
import type { Logger } from '../log.ts';

/** read: looks things up; write: changes Hearth's own data; external: acts on the world. */
export type ToolRisk = 'read' | 'write' | 'external';

export interface ToolContext {
  /** The person whose message started this turn: the only source of permissions. */
  person: Person;
  platform: string;
  conversationKey: string;
  log: Logger;
  /** The inbound journal entry of this turn (provenance for what a tool writes, e.g. memories). */
  journalId?: number;
}

export interface ToolDefinition<Schema extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  risk: ToolRisk;
  parameters: Schema;
  /** Argument names to mask in audit records and approval requests, besides the ones that look secret anyway. */
  secretArguments?: readonly string[];
  run(args: z.infer<Schema>, context: ToolContext): Promise<string>;
}

export function defineTool<Schema extends z.ZodObject>(tool: ToolDefinition<Schema>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

/** The schema as the model sees it; kept minimal because every byte is prompt processing time on a CPU. */
export function toOllamaTool(tool: ToolDefinition): OllamaTool {
  const { $schema: _ignored, additionalProperties: _alsoIgnored, ...parameters } = z.toJSONSchema(tool.parameters) as Record<string, unknown>;
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: parameters as OllamaTool['function']['parameters'] } };
}
