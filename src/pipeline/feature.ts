/**
 * How a capability (memory, people and permissions, reminders, …) plugs into the gateway without
 * the gateway knowing it: chat commands, tools, extra stages, prompt context, after-turn work,
 * HTTP routes, and background work on the gateway's timers.
 */
import type { Hono } from 'hono';
import type { Adapter, ConversationRef } from '../core/index.ts';
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import type { AuditLog } from '../audit/audit.ts';
import type { People } from '../access/people.ts';
import type { Contacts } from '../access/contacts.ts';
import type { History } from '../memory/history.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Logger } from '../log.ts';
import type { ToolCatalog } from '../tools/catalog.ts';
import type { ToolDefinition } from '../tools/tool.ts';
import type { Clock } from './clock.ts';
import type { ChatCommand } from './stages/commands.ts';
import type { ScheduledTurn } from './origin.ts';
import type { Stage, TurnContext } from './context.ts';
import type { AdminPage } from '../web/page.ts';

export interface NoticeTarget {
  platform: string;
  conversation: ConversationRef;
  text: string;
}

export interface FeatureDependencies {
  config: Config;
  database: Database;
  audit: AuditLog;
  people: People;
  /** Where each person can be reached privately (their newest direct chat per platform). */
  contacts: Contacts;
  history: History;
  metrics: Metrics;
  log: Logger;
  /** What time it is; tests move it forward instead of waiting. */
  clock: Clock;
  /** The adapters this process runs, by platform. */
  adapters: Map<string, Adapter>;
  /** Every tool Hearth knows; a feature adds tools that come and go (MCP) with `replace`. */
  catalog: ToolCatalog;
  /** Queues a message to a conversation outside a turn (approval requests, notices); delivered through the outbox. */
  notify(target: NoticeTarget): Promise<void>;
  /**
   * Starts a turn that no platform event started (a routine firing): journaled like a message,
   * so it is answered once, retried, audited and delivered like one. False when that id was
   * already journaled.
   */
  enqueue(turn: ScheduledTurn): Promise<boolean>;
  /**
   * Runs `work` every `intervalMs` while Hearth runs, never twice at once, first after one
   * interval (or at once with `immediately`). The gateway stops it and waits for it at stop.
   */
  every(name: string, intervalMs: number, work: () => Promise<void>, options?: { immediately?: boolean }): void;
  /** Each adapter's connection state (also when it failed to start), for /readyz and the web admin. */
  health(): Array<{ platform: string; ok: boolean; detail: string }>;
  /** Every feature of this Hearth, once all are made (the web admin lists the pages they add). */
  features(): Feature[];
}

/** Where an extra stage runs: right after the named built-in stage. */
export type StagePosition = 'identify' | 'gate' | 'limit' | 'commands';

export interface Feature {
  name: string;
  commands?: ChatCommand[];
  /** Tools that exist as long as the feature does; tools that come and go use `deps.catalog.replace`. */
  tools?: ToolDefinition[];
  stages?: Array<{ after: StagePosition; stage: Stage }>;
  /**
   * Takes over an unknown sender (pairing, open rooms, /link and /claim from a new account).
   * Returns 'handled' when it answered the turn itself, a person when the sender may go on as
   * that person, or undefined to leave the sender to the next feature (and finally a refusal).
   */
  unknownSender?: (turn: TurnContext) => Promise<'handled' | import('../access/types.ts').Person | undefined>;
  /** Context for this turn (e.g. recalled memories), put beside the newest message in the prompt. */
  context?: (turn: TurnContext) => Promise<string | undefined>;
  /** After a turn was answered by the model. Errors are logged, never fail the turn. */
  afterTurn?: (turn: TurnContext, answer: string) => Promise<void>;
  /** A page of its own in the web admin (e.g. reminders), listed in its menu. */
  adminPage?: AdminPage;
  /** Routes on the HTTP app (admin API); they must not shadow /healthz, /readyz or /metrics. */
  routes?: (app: Hono) => void;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export type FeatureFactory = (deps: FeatureDependencies) => Feature;
