/**
 * An MCP server's tools as Hearth tools: named `<server>_<tool>` (only A–Z, a–z, 0–9, _ and -,
 * at most 64 characters, unique), in the group `mcp:<server>` so one grant covers the server,
 * with the risk and default decisions the owner configured (never what the server claims about
 * itself), the server's own JSON Schema shown to the model and enforced with the SDK's ajv
 * validator before the call, and results turned into capped text.
 */
import { createHash } from 'node:crypto';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext, ToolDefinition, ToolSchema } from '../tools/tool.ts';
import type { McpServerConfig } from './config.ts';
import { resultText } from './results.ts';

export const MAX_TOOL_NAME = 64;

/** A tool the server offers that Hearth does not, and why. */
export interface SkippedTool {
  tool: string;
  reason: string;
  /** Something the owner should fix (a misspelt tool in the settings), not just a limit of Hearth's. */
  problem: boolean;
  fix?: string;
}

export interface AdaptOptions {
  server: string;
  config: McpServerConfig;
  /** Names other sources already use. */
  taken: Set<string>;
  maxOutputChars: number;
  call(tool: string, args: Record<string, unknown>, context: ToolContext): Promise<Parameters<typeof resultText>[0]>;
}

/** `<server>_<tool>` in the characters models accept; a hash keeps long or clashing names apart. */
export function toolName(server: string, tool: string, used: Set<string>): string {
  const plain = `${server}_${tool}`.replace(/[^A-Za-z0-9_-]/g, '_');
  if (plain.length <= MAX_TOOL_NAME && !used.has(plain)) return plain;
  const hash = createHash('sha256').update(`${server}\0${tool}`).digest('hex').slice(0, 8);
  return `${plain.slice(0, MAX_TOOL_NAME - hash.length - 1)}_${hash}`;
}

function jsonSchema(tool: Tool, validator: AjvJsonSchemaValidator): ToolSchema {
  const { $schema: _ignored, ...json } = tool.inputSchema as Record<string, unknown>;
  const validate = validator.getValidator(json);
  return {
    json,
    parse(args) {
      const checked = validate(args ?? {});
      return checked.valid ? { ok: true, data: (args ?? {}) as Record<string, unknown> } : { ok: false, error: checked.errorMessage };
    },
  };
}

/** Properties the schema itself marks as secret (a password field), masked in audit and approvals. */
function secretProperties(json: Record<string, unknown>): string[] {
  const properties = (json.properties ?? {}) as Record<string, { format?: string; writeOnly?: boolean }>;
  return Object.entries(properties)
    .filter(([, property]) => property?.format === 'password' || property?.writeOnly === true)
    .map(([name]) => name);
}

export function adaptTools(tools: Tool[], options: AdaptOptions): { tools: ToolDefinition[]; skipped: SkippedTool[] } {
  const { server, config } = options;
  const validator = new AjvJsonSchemaValidator();
  const used = new Set(options.taken);
  const adapted: ToolDefinition[] = [];
  const skipped: SkippedTool[] = [];
  for (const tool of tools) {
    const override = config.tools[tool.name];
    if (override?.off) continue;
    if (tool.execution?.taskSupport === 'required') {
      skipped.push({ tool: tool.name, reason: 'it only runs as an MCP task, which Hearth does not support yet', problem: false, fix: `set tools: { ${tool.name}: off } to hide this note` });
      continue;
    }
    let schema: ToolSchema;
    try {
      schema = jsonSchema(tool, validator);
    } catch (error) {
      skipped.push({ tool: tool.name, reason: `its input schema is not valid JSON Schema (${(error as Error).message})`, problem: true, fix: 'report it to the server\'s authors; the tool is left out meanwhile' });
      continue;
    }
    const name = toolName(server, tool.name, used);
    used.add(name);
    const defaultDecision = { ...config.defaultDecision, ...override?.defaultDecision };
    adapted.push({
      name,
      description: (tool.description ?? tool.title ?? tool.name).trim(),
      risk: override?.risk ?? config.risk,
      group: `mcp:${server}`,
      ...(Object.keys(defaultDecision).length ? { defaultDecision } : {}),
      schema,
      secretArguments: secretProperties(schema.json),
      run: async (args, context) => resultText(await options.call(tool.name, args, context), options.maxOutputChars),
    });
  }
  for (const name of Object.keys(config.tools)) {
    if (!tools.some((t) => t.name === name)) skipped.push({ tool: name, reason: 'the settings name this tool, but the server does not offer it', problem: true, fix: `check the spelling under tools (the server offers: ${tools.map((t) => t.name).join(', ') || 'nothing'})` });
  }
  return { tools: adapted, skipped };
}
