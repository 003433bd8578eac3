/**
 * How a capability (memory, people and permissions, …) plugs into the gateway without the
 * gateway knowing it: chat commands, tools, extra stages, prompt context and after-turn work.
 */
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import type { AuditLog } from '../audit/audit.ts';
import type { People } from '../access/people.ts';
import type { History } from '../memory/history.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Logger } from '../log.ts';
import type { ToolDefinition } from '../tools/tool.ts';
import type { ChatCommand } from './stages/commands.ts';
import type { Stage, TurnContext } from './context.ts';
import type { Adapter } from '../core/index.ts';
import type { Hono } from 'hono';

export interface FeatureDependencies {
  config: Config;
  database: Database;
  audit: AuditLog;
  people: People;
  history: History;
  metrics: Metrics;
  log: Logger;
  adapters: Map<string, Adapter>;
  /** Every tool the gateway has (features' tools included once all are created): risk levels for grants. */
  tools?: import('../tools/registry.ts').ToolRegistry;
  /** Queue a message to a conversation outside a turn (approval requests, notices). */
  notify(target: { platform: string; conversation: import('../core/index.ts').ConversationRef; text: string }): Promise<void>;
}

/** Where an extra stage runs: right after the named built-in stage. */
export type StagePosition = 'identify' | 'gate' | 'limit' | 'commands';

export interface Feature {
  name: string;
  commands?: ChatCommand[];
  tools?: ToolDefinition[];
  stages?: Array<{ after: StagePosition; stage: Stage }>;
  /** Replaces the refusal of unknown senders (pairing, open rooms). Return true when handled. */
  unknownSender?: (turn: TurnContext) => Promise<boolean>;
  /** Extra system-prompt context for this turn (e.g. recalled memories). */
  context?: (turn: TurnContext) => Promise<string | undefined>;
  /** After a turn was answered by the model. Errors are logged, never fail the turn. */
  afterTurn?: (turn: TurnContext, answer: string) => Promise<void>;
  /** Routes on the HTTP app (admin API). */
  routes?: (app: Hono) => void;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export type FeatureFactory = (deps: FeatureDependencies) => Feature;
