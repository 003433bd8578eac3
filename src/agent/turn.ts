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
import type { ChatModel, ChatRequest } from './model.ts';
import type { ToolContext, ToolDefinition } from '../tools/tool.ts';
import { toOllamaTool } from '../tools/tool.ts';
import { decisionFor, type Permissions } from '../tools/permissions.ts';
import type { AuditEntry } from '../audit/audit.ts';
import { redact } from '../audit/redact.ts';

export interface TurnOptions {
  model: ChatModel;
  messages: Message[];
  /** Only the tools the sender may use; anything else the model calls is refused. */
  tools: ToolDefinition[];
  /**
   * The names whose schemas the model is shown (a lean prompt: see tools/selection.ts); all of
   * `tools` when absent. It may grow during the turn (find_tools adds to it), and a tool the
   * sender may use is run even when it was not shown.
   */
  offered?: Set<string>;
  /** The sender's permissions; without them every call is refused. */
  permissions: Permissions | undefined;
  toolContext: ToolContext;
  maxSteps: number;
  audit: (entry: AuditEntry) => Promise<void>;
  /** A tool that went away (its server is restarting) and why, so the model can tell the person. */
  unavailable?: (name: string) => { tool: ToolDefinition; reason: string } | undefined;
  /** Visible text as it streams; `step` changes when a new model call starts. */
  onText?: (delta: string, step: number) => void;
  signal?: AbortSignal;
  /** Passed to each model call: no first word after a while (see ChatRequest.onSlowStart). */
  onSlowStart?: ChatRequest['onSlowStart'];
}

export interface TurnResult {
  text: string;
  steps: number;
  toolCalls: number;
  /** Names of the tools the model called, in order (refused calls included). */
  toolsUsed: string[];
  promptTokens: number;
  outputTokens: number;
}

export async function runAgentTurn(options: TurnOptions): Promise<TurnResult> {
  const messages = [...options.messages];
  const offered = options.offered ?? new Set(options.tools.map((t) => t.name));
  const totals = { steps: 0, toolCalls: 0, toolsUsed: [] as string[], promptTokens: 0, outputTokens: 0 };
  // Each model call streams a fresh text; a call restarted on another Ollama server counts as new.
  let call = 0;
  for (let step = 0; ; step++) {
    // After the step limit the model gets no tools, so it has to answer in words.
    const offerTools = step < options.maxSteps;
    call++;
    const result = await options.model.chat({
      messages,
      tools: offerTools ? inOrder(offered, options.tools).map(toOllamaTool) : [],
      signal: options.signal,
      onSlowStart: options.onSlowStart,
      onText: (delta) => options.onText?.(delta, call),
      onRestart: () => call++,
    });
    totals.steps++;
    totals.promptTokens += result.promptTokens;
    totals.outputTokens += result.outputTokens;
    await options.permissions?.recordTokens(result.promptTokens + result.outputTokens);
    if (!offerTools || result.toolCalls.length === 0) return { text: result.content.trim(), ...totals };

    messages.push({ role: 'assistant', content: result.content, tool_calls: result.toolCalls });
    for (const call of result.toolCalls) {
      totals.toolCalls++;
      totals.toolsUsed.push(call.function.name);
      if (options.tools.some((t) => t.name === call.function.name)) offered.add(call.function.name);
      messages.push({ role: 'tool', tool_name: call.function.name, content: await runToolCall(call, options) });
    }
  }
}

/** The offered tools in the order they were offered: a list that keeps its order keeps Ollama's prompt cache. */
function inOrder(offered: Set<string>, tools: ToolDefinition[]): ToolDefinition[] {
  const byName = new Map(tools.map((t) => [t.name, t]));
  return [...offered].flatMap((name) => byName.get(name) ?? []);
}

async function runToolCall(call: ToolCall, options: TurnOptions): Promise<string> {
  const name = call.function.name;
  const rawArgs = (call.function.arguments ?? {}) as Record<string, unknown>;
  const { person, platform } = options.toolContext;
  const base = { actorPersonId: person.id, platform, subject: name };
  const tool = options.tools.find((t) => t.name === name);
  const args = redact(rawArgs, tool?.secretArguments) as Record<string, unknown>;
  if (!tool) {
    const gone = options.unavailable?.(name);
    const explained = gone && decisionFor(options.permissions, gone.tool).decision !== 'deny' ? gone.reason : undefined;
    await options.audit({ ...base, kind: 'tool.refused', detail: { reason: explained ?? 'not available to this person, or no such tool', arguments: args, decision: 'deny' } });
    return explained ? `Tool "${name}" is unavailable right now: ${explained}. Tell the person, and answer without it.` : `Tool "${name}" is not available. Answer without it.`;
  }
  const { decision, source } = decisionFor(options.permissions, tool);
  if (decision === 'deny') {
    await options.audit({ ...base, kind: 'tool.refused', detail: { reason: 'denied for this person', arguments: args, decision, decidedBy: source } });
    return `Tool "${name}" is not available. Answer without it.`;
  }
  const parsed = tool.schema.parse(rawArgs);
  if (!parsed.ok) {
    await options.audit({ ...base, kind: 'tool.invalid', detail: { arguments: args, error: parsed.error } });
    return `Invalid arguments for ${name}: ${parsed.error}`;
  }
  let decidedBy: string = source;
  let outcomeOfDecision = 'allowed';
  if (decision === 'ask') {
    const answer = options.permissions
      ? await options.permissions.requestApproval({ tool, arguments: args, signal: options.signal })
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
