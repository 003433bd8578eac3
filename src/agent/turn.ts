/**
 * The turn loop: ask the model, run the tool calls it makes (only tools this sender may use),
 * feed results back, stop at the step limit. Every tool call is audited with its outcome, its
 * arguments with secrets masked, and who decided it could run.
 *
 * A call is checked again when the model makes it, whatever it was offered: the model may name
 * a tool it was never shown (hallucinated, or injected through message text, or remembered from
 * another person's turn in the history). `ask` calls wait here for an approver's answer.
 */
import type { Message, ToolCall } from 'ollama';
import type { ChatModel } from './model.ts';
import type { ToolContext, ToolDefinition } from '../tools/tool.ts';
import { toOllamaTool } from '../tools/tool.ts';
import { decisionFor } from '../tools/permissions.ts';
import type { AuditEntry } from '../audit/audit.ts';
import { redact } from '../audit/redact.ts';

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
    await options.toolContext.person.permissions?.recordTokens(result.promptTokens + result.outputTokens);
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
  const rawArgs = (call.function.arguments ?? {}) as Record<string, unknown>;
  const { person, platform } = options.toolContext;
  const base = { actorPersonId: person.id, platform, subject: name };
  const tool = options.tools.find((t) => t.name === name);
  const args = redact(rawArgs, tool?.secretArguments) as Record<string, unknown>;
  if (!tool) {
    await options.audit({ ...base, kind: 'tool.refused', detail: { reason: 'not available to this person, or no such tool', arguments: args, decision: 'deny' } });
    return `Tool "${name}" is not available. Answer without it.`;
  }
  const { decision, source } = decisionFor(person, tool);
  if (decision === 'deny') {
    await options.audit({ ...base, kind: 'tool.refused', detail: { reason: 'denied for this person', arguments: args, decision, decidedBy: source } });
    return `Tool "${name}" is not available. Answer without it.`;
  }
  const parsed = tool.parameters.safeParse(rawArgs);
  if (!parsed.success) {
    await options.audit({ ...base, kind: 'tool.invalid', detail: { arguments: args, error: parsed.error.issues[0]?.message } });
    return `Invalid arguments for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`;
  }
  let decidedBy: string = source;
  let outcomeOfDecision = 'allowed';
  if (decision === 'ask') {
    const answer = person.permissions
      ? await person.permissions.requestApproval({ tool, arguments: args, signal: options.signal })
      : { approved: false, outcome: 'unavailable' as const, decidedBy: null };
    if (!answer.approved) {
      await options.audit({ ...base, kind: 'tool.refused', detail: { reason: `approval ${answer.outcome}`, arguments: args, decision: answer.outcome, decidedBy: answer.decidedBy } });
      const why = answer.outcome === 'denied' ? 'was not approved' : answer.outcome === 'expired' ? 'was not approved in time' : 'needs approval, and nobody could be asked';
      return `Using "${name}" ${why}. Do not try again; tell the person.`;
    }
    decidedBy = answer.decidedBy ?? 'approver';
    outcomeOfDecision = 'approved';
  }
  const started = performance.now();
  try {
    const output = await tool.run(parsed.data, options.toolContext);
    await options.audit({ ...base, kind: 'tool.called', detail: { arguments: args, outcome: 'ok', decision: outcomeOfDecision, decidedBy, durationMs: Math.round(performance.now() - started) } });
    return output;
  } catch (error) {
    await options.audit({ ...base, kind: 'tool.called', detail: { arguments: args, outcome: 'error', error: redact((error as Error).message), decision: outcomeOfDecision, decidedBy, durationMs: Math.round(performance.now() - started) } });
    return `The tool ${name} failed: ${(error as Error).message}`;
  }
}
