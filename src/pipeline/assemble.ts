/**
 * The stages every message goes through, in order, with the features' extra stages placed after
 * the built-in stage each one names. The order is the pipeline's contract: identify before
 * anything that needs the sender, commands before the model.
 */
import type { Config } from '../config/types.ts';
import type { ChatModel } from '../agent/model.ts';
import type { AuditLog } from '../audit/audit.ts';
import type { People } from '../access/people.ts';
import type { History } from '../memory/history.ts';
import type { Metrics } from '../http/metrics.ts';
import type { ToolCatalog } from '../tools/catalog.ts';
import type { Stage } from './context.ts';
import type { Feature, StagePosition } from './feature.ts';
import type { ChatCommand } from './stages/commands.ts';
import { identify } from './stages/identify.ts';
import { gate } from './stages/gate.ts';
import { limit } from './stages/limit.ts';
import { commands } from './stages/commands.ts';
import { agent } from './stages/agent.ts';
import { ToolChooser } from '../tools/selection.ts';
import { embedderFor } from '../memory/embedder.ts';
import type { Logger } from '../log.ts';

export interface StageDependencies {
  config: Config;
  model: ChatModel;
  audit: AuditLog;
  people: People;
  history: History;
  metrics: Metrics;
  catalog: ToolCatalog;
  features: Feature[];
  commands: () => ChatCommand[];
  onPreview(journalId: number, messageId: string): Promise<void>;
  log: Logger;
}

export function assembleStages(deps: StageDependencies): Stage[] {
  const { config, features } = deps;
  const extra = (position: StagePosition) => features.flatMap((f) => (f.stages ?? []).filter((s) => s.after === position).map((s) => s.stage));
  return [
    identify({ people: deps.people, audit: deps.audit, agentName: config.agent.name, unknownSender: features.flatMap((f) => (f.unknownSender ? [f.unknownSender] : [])) }),
    ...extra('identify'),
    gate(),
    ...extra('gate'),
    limit({ messagesPerMinute: config.limits.messagesPerMinute, guestMessagesPerMinute: config.limits.guestMessagesPerMinute, audit: deps.audit }),
    ...extra('limit'),
    commands(deps.commands),
    ...extra('commands'),
    agent({
      model: deps.model,
      history: deps.history,
      catalog: deps.catalog,
      // Tool descriptions are compared with the message through the embedder memory recall uses,
      // so the message is embedded once for both.
      chooser: new ToolChooser({
        maxOffered: config.agent.maxOfferedTools,
        maxOfferedChars: config.agent.maxOfferedToolChars,
        embedder: embedderFor(config),
        log: deps.log,
      }),
      audit: deps.audit,
      metrics: deps.metrics,
      agentName: config.agent.name,
      persona: config.agent.persona,
      maxToolSteps: config.agent.maxToolSteps,
      streaming: config.agent.streaming,
      turnTimeoutMs: config.ollama.turnTimeoutMs,
      slowNoticeMs: config.ollama.slowNoticeMs,
      historyBudgetChars: Math.max(1_000, config.ollama.contextTokens * 4 - 6_000),
      onPreview: deps.onPreview,
      contextFor: features.flatMap((f) => (f.context ? [f.context] : [])),
      afterTurn: features.flatMap((f) => (f.afterTurn ? [f.afterTurn] : [])),
    }),
  ];
}
