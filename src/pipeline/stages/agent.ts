/**
 * The model's turn: history + prompt → Ollama (streamed) with the tools this sender may use.
 * If the model cannot answer, the person gets one short apology and the message is retried
 * later; nothing is dropped and the process keeps running.
 */
import type { ChatModel } from '../../agent/model.ts';
import { ModelUnavailableError } from '../../agent/errors.ts';
import { buildMessages } from '../../agent/prompt.ts';
import { runAgentTurn } from '../../agent/turn.ts';
import type { AuditLog } from '../../audit/audit.ts';
import type { History } from '../../memory/history.ts';
import type { ToolRegistry } from '../../tools/registry.ts';
import { toolsFor } from '../../tools/permissions.ts';
import type { Metrics } from '../../http/metrics.ts';
import type { Stage } from '../context.ts';
import { LiveReply } from '../live-reply.ts';

export interface AgentStageOptions {
  model: ChatModel;
  history: History;
  tools: ToolRegistry;
  audit: AuditLog;
  metrics: Metrics;
  agentName: string;
  persona?: string;
  maxToolSteps: number;
  streaming: boolean;
  turnTimeoutMs: number;
  /** Characters of history the prompt may carry (≈ 4 characters per token) when History has no summaries enabled. */
  historyBudgetChars: number;
  onPreview(journalId: number, messageId: string): Promise<void>;
  /** Extra system-prompt context for this turn (recalled memories), added by later features. */
  contextFor?: Array<(turn: Parameters<Stage>[0]) => Promise<string | undefined>>;
  /** Work after an answered turn (memory extraction); failures are logged, never fail the turn. */
  afterTurn?: Array<(turn: Parameters<Stage>[0], answer: string) => Promise<void>>;
}

export const APOLOGY = "Sorry, I can't reach my language model right now. I'll answer this as soon as it's back.";

export function agent(options: AgentStageOptions): Stage {
  return async (turn) => {
    const person = turn.person!;
    const { message, conversationKey } = turn;
    const group = message.conversation.kind === 'group';
    await options.history.append({ conversationKey, personId: person.id, role: 'user', authorName: message.sender.displayName, content: message.text, journalId: turn.journalId });
    // History (with a summary of older turns when the conversation outgrew its budget) and the
    // features' context (recalled memories) are independent, so they are fetched together.
    const [{ summary, turns: history }, provided] = await Promise.all([
      options.history.forPrompt(conversationKey, turn.journalId, options.historyBudgetChars, turn.log),
      Promise.all((options.contextFor ?? []).map((provide) => provide(turn))),
    ]);
    const context = provided.filter((c): c is string => Boolean(c));
    const messages = buildMessages({
      agentName: options.agentName,
      persona: options.persona,
      personName: message.sender.displayName || person.displayName,
      platform: message.platform,
      group,
      now: new Date(),
      history,
      summary,
      text: message.text,
      context,
    });

    const live = new LiveReply({
      adapter: turn.adapter,
      conversation: message.conversation,
      replyToMessageId: group ? message.messageId : undefined,
      addressee: message.sender,
      streaming: options.streaming,
      log: turn.log,
      existingPreviewId: turn.previewMessageId,
      onPreview: (id) => options.onPreview(turn.journalId, id),
    });
    live.start();
    turn.modelStartedAt = performance.now();
    try {
      const result = await runAgentTurn({
        model: options.model,
        messages,
        tools: toolsFor(person, options.tools.list()),
        toolContext: { person, platform: message.platform, conversationKey, log: turn.log, journalId: turn.journalId },
        maxSteps: options.maxToolSteps,
        audit: (entry) => options.audit.record(entry),
        onText: (delta, step) => live.onText(delta, step),
        signal: AbortSignal.timeout(options.turnTimeoutMs),
      });
      await live.stop();
      turn.previewMessageId = live.previewMessageId;
      const text = result.text || "I don't have an answer to that.";
      await options.history.append({ conversationKey, personId: null, role: 'assistant', authorName: options.agentName, content: text, journalId: turn.journalId });
      turn.replies.push({ kind: 'reply', text });
      turn.outcome = 'done';
      options.metrics.replies.inc({ platform: message.platform });
      for (const after of options.afterTurn ?? []) {
        await after(turn, text).catch((error: unknown) => turn.log.warn({ err: error }, 'after-turn work failed'));
      }
      turn.log.info({ steps: result.steps, toolCalls: result.toolCalls, promptTokens: result.promptTokens, outputTokens: result.outputTokens }, 'model answered');
    } catch (error) {
      await live.stop();
      turn.previewMessageId = live.previewMessageId;
      if (!(error instanceof ModelUnavailableError)) throw error;
      options.metrics.errors.inc({ kind: `model-${error.failure}` });
      turn.log.warn({ failure: error.failure, fix: error.fix, attempt: turn.attempt, err: error }, 'the model did not answer; will retry');
      turn.outcome = 'retry';
      turn.error = error;
      if (!turn.apologized) turn.replies.push({ kind: 'apology', text: APOLOGY });
    }
  };
}
