/**
 * The turn loop: ask the model, run the tool calls it makes (only tools this sender may use),
 * feed results back, stop at the step limit. Every tool call is audited with its outcome.
 */
import type { Message, ToolCall } from 'ollama';
import type { ChatModel } from './model.ts';
import type { ToolContext, ToolDefinition } from '../tools/tool.ts';
import { toOllamaTool } from '../tools/tool.ts';
import type { AuditEntry } from '../audit/audit.ts';

export interface TurnOptions {
  model: ChatModel;
  messages: Message[];
  /** Only the tools the sender may use; anything else the model calls is refused. */
  tools: ToolDefinition[];
  toolContext: ToolContext;
  maxSteps: number;
  audit: (entry: AuditEntry) => Promise<void>;
  /** Visible text as it streams; `step` changes when a new model call starts. */
  onText?: (delta: string, step: number) => void;
  signal?: AbortSignal;
}

export interface TurnResult {
  text: string;
  steps: number;
  toolCalls: number;
  promptTokens: number;
  outputTokens: number;
}

export async function runAgentTurn(options: TurnOptions): Promise<TurnResult> {
  const messages = [...options.messages];
  const schemas = options.tools.map(toOllamaTool);
  const totals = { steps: 0, toolCalls: 0, promptTokens: 0, outputTokens: 0 };
  for (let step = 0; ; step++) {
    // After the step limit the model gets no tools, so it has to answer in words.
    const offerTools = step < options.maxSteps;
    const result = await options.model.chat({
      messages,
      tools: offerTools ? schemas : [],
      signal: options.signal,
      onText: (delta) => options.onText?.(delta, step),
    });
    totals.steps++;
    totals.promptTokens += result.promptTokens;
    totals.outputTokens += result.outputTokens;
    if (!offerTools || result.toolCalls.length === 0) return { text: result.content.trim(), ...totals };

    messages.push({ role: 'assistant', content: result.content, tool_calls: result.toolCalls });
    for (const call of result.toolCalls) {
      totals.toolCalls++;
      messages.push({ role: 'tool', tool_name: call.function.name, content: await runToolCall(call, options) });
    }
  }
}

async function runToolCall(call: ToolCall, options: TurnOptions): Promise<string> {
  const name = call.function.name;
  const args = call.function.arguments ?? {};
  const { person, platform } = options.toolContext;
  const base = { actorPersonId: person.id, platform, subject: name };
  const tool = options.tools.find((t) => t.name === name);
  if (!tool) {
    await options.audit({ ...base, kind: 'tool.refused', detail: { reason: 'not available to this person or unknown', arguments: args } });
    return `Tool "${name}" is not available. Answer without it.`;
  }
  const parsed = tool.parameters.safeParse(args);
  if (!parsed.success) {
    await options.audit({ ...base, kind: 'tool.invalid', detail: { arguments: args, error: parsed.error.issues[0]?.message } });
    return `Invalid arguments for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`;
  }
  const started = performance.now();
  try {
    const output = await tool.run(parsed.data, options.toolContext);
    await options.audit({ ...base, kind: 'tool.called', detail: { arguments: args, outcome: 'ok', decision: 'allowed', decidedBy: 'role', durationMs: Math.round(performance.now() - started) } });
    return output;
  } catch (error) {
    await options.audit({ ...base, kind: 'tool.called', detail: { arguments: args, outcome: 'error', error: (error as Error).message, decision: 'allowed', decidedBy: 'role', durationMs: Math.round(performance.now() - started) } });
    return `The tool ${name} failed: ${(error as Error).message}`;
  }
}
