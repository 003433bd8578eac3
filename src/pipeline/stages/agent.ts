/**
 * The model's turn: history + prompt → Ollama (streamed) with the tools this sender may use.
 * If the model cannot answer, the person gets one short apology and the message is retried
 * later; nothing is dropped and the process keeps running.
 */
import type { ChatModel } from '../../agent/model.ts';
import { ModelUnavailableError } from '../../agent/errors.ts';
import { buildMessages, turnNote, withoutRepeats } from '../../agent/prompt.ts';
import { runAgentTurn } from '../../agent/turn.ts';
import type { AuditLog } from '../../audit/audit.ts';
import type { History } from '../../memory/history.ts';
import type { ToolCatalog } from '../../tools/catalog.ts';
import { toolsFor } from '../../tools/permissions.ts';
import { suggestionNote, type ToolChooser } from '../../tools/selection.ts';
import type { Metrics } from '../../http/metrics.ts';
import { senderOf, type Stage } from '../context.ts';
import { LiveReply } from '../live-reply.ts';
import { SLOW_NOTICES, logSlowStart } from '../slow-notice.ts';

export interface AgentStageOptions {
  model: ChatModel;
  history: History;
  catalog: ToolCatalog;
  /** Picks the tools shown to the model when the sender may use many. */
  chooser: ToolChooser;
  audit: AuditLog;
  metrics: Metrics;
  agentName: string;
  persona?: string;
  maxToolSteps: number;
  streaming: boolean;
  turnTimeoutMs: number;
  /** Told to the log with the notice, so the owner sees how long the person waited. */
  slowNoticeMs?: number;
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
    const person = senderOf(turn);
    const { message, conversationKey } = turn;
    const group = message.conversation.kind === 'group';
    // History (with a summary of older turns when the conversation outgrew its budget) and the
    // features' context (recalled memories) are independent, so they are fetched together.
    const allowed = toolsFor(turn.permissions, options.catalog.list());
    const [{ summary, turns: history }, provided, choice] = await Promise.all([
      options.history.forPrompt(conversationKey, turn.journalId, options.historyBudgetChars, turn.log),
      Promise.all((options.contextFor ?? []).map((provide) => provide(turn))),
      options.chooser.choose({ conversationKey, text: message.text, available: allowed, log: turn.log }),
    ]);
    const context = withoutRepeats(provided.filter((c): c is string => Boolean(c)), history);
    const suggestion = suggestionNote(choice.suggested);
    // Stored with its note, exactly as sent: the next turn repeats it, so its request begins with this
    // one. A note is replayed only in its own conversation; in a group it may hold the sender's
    // private memories, which later turns of other members must not carry, so there only the time
    // (and the tool suggestion, which is nobody's secret) is kept.
    const note = turnNote({ now: turn.now, timeZone: turn.timeZone, context: suggestion ? [...context, suggestion] : context });
    const storedNote = group && context.length ? turnNote({ now: turn.now, timeZone: turn.timeZone, context: suggestion ? [suggestion] : [] }) : note;
    // Stored when the turn settles, answered or not (see TurnContext.history).
    (turn.history ??= []).push({ personId: person.id, role: 'user', authorName: message.sender.displayName, content: message.text, note: storedNote });
    const messages = buildMessages({
      note,
      agentName: options.agentName,
      persona: options.persona,
      personName: message.sender.displayName || person.displayName,
      platform: message.platform,
      group,
      now: turn.now,
      timeZone: turn.timeZone,
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
    const signal = AbortSignal.timeout(options.turnTimeoutMs);
    let noticed: Promise<void> | undefined;
    const onSlowStart = (activity: Parameters<typeof logSlowStart>[1]) => {
      if (noticed) return; // once per turn, however many model calls it takes
      logSlowStart(turn.log, activity, options.slowNoticeMs ?? 0);
      noticed = live.notice(SLOW_NOTICES[activity]);
    };
    try {
      const result = await runAgentTurn({
        model: options.model,
        messages,
        tools: choice.finder ? [...allowed, choice.finder] : allowed,
        offered: choice.offered,
        permissions: turn.permissions,
        unavailable: (name) => options.catalog.unavailable(name),
        toolContext: { person, platform: message.platform, conversation: message.conversation, conversationKey, signal, now: turn.now, timeZone: turn.timeZone, log: turn.log, journalId: turn.journalId },
        maxSteps: options.maxToolSteps,
        audit: (entry) => options.audit.record(entry),
        onText: (delta, step) => live.onText(delta, step),
        signal,
        onSlowStart,
      });
      await noticed;
      await live.stop();
      turn.previewMessageId = live.previewMessageId;
      options.chooser.used(conversationKey, result.toolsUsed.filter((name) => allowed.some((t) => t.name === name)));
      const text = result.text || "I don't have an answer to that.";
      turn.history.push({ personId: null, role: 'assistant', authorName: options.agentName, content: text });
      turn.replies.push({ kind: 'reply', text });
      turn.outcome = 'done';
      options.metrics.replies.inc({ platform: message.platform });
      for (const after of options.afterTurn ?? []) {
        await after(turn, text).catch((error: unknown) => turn.log.warn({ err: error }, 'after-turn work failed'));
      }
      turn.log.info({ steps: result.steps, toolCalls: result.toolCalls, promptTokens: result.promptTokens, outputTokens: result.outputTokens }, 'model answered');
    } catch (error) {
      await noticed;
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
