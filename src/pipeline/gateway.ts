/**
 * The gateway: adapters hand events in, the journal keeps them, workers run each through the
 * stages, and the outbox delivers what they produced. Nothing here knows a platform by name.
 */
import { sql } from 'drizzle-orm';
import type { Adapter, InboundMessage, ReceiveOutcome } from '../core/index.ts';
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import { journal as journalTable, outbox as outboxTable } from '../db/schema.ts';
import type { ChatModel } from '../agent/model.ts';
import { AuditLog } from '../audit/audit.ts';
import { People, parseOwnerAccounts } from '../access/people.ts';
import { History } from '../memory/history.ts';
import { ToolRegistry } from '../tools/registry.ts';
import type { ToolDefinition } from '../tools/tool.ts';
import { builtinTools } from '../tools/builtin/index.ts';
import type { Logger } from '../log.ts';
import { createMetrics, type Metrics } from '../http/metrics.ts';
import { compose, type Stage, type TurnContext } from './context.ts';
import { Journal, type JournalEntry } from './journal.ts';
import { Outbox, outboxRows } from './outbox.ts';
import { adapterStateStore } from './adapter-state.ts';
import { identify } from './stages/identify.ts';
import { gate } from './stages/gate.ts';
import { limit } from './stages/limit.ts';
import { commands, helpCommands, type ChatCommand } from './stages/commands.ts';
import { agent } from './stages/agent.ts';
import type { Feature, FeatureFactory, StagePosition } from './feature.ts';
import { conversationKeyOf } from './context.ts';

export interface GatewayOptions {
  config: Config;
  database: Database;
  adapters: Adapter[];
  model: ChatModel;
  log: Logger;
  metrics?: Metrics;
  tools?: ToolDefinition[];
  /** How often due retries are looked for when nothing new arrives. */
  pollIntervalMs?: number;
  leaseMs?: number;
  features?: FeatureFactory[];
}

const MAX_RETRY_DELAY_MS = 10 * 60_000;

/**
 * The model cannot see files yet; a photo or document without a caption still reaches it as a
 * short note, so it can say so instead of answering an empty message.
 */
function withAttachmentNote(message: InboundMessage): InboundMessage {
  if (message.text.trim() || message.attachments.length === 0) return message;
  const described = message.attachments.map((a) => `${a.kind}${a.name ? ` "${a.name}"` : ''}`).join(', ');
  return { ...message, text: `[sent ${described} without text; you cannot open attachments yet]` };
}

export class Gateway {
  readonly database: Database;
  readonly audit: AuditLog;
  readonly people: People;
  readonly history: History;
  readonly tools: ToolRegistry;
  readonly metrics: Metrics;
  readonly adapters: Map<string, Adapter>;
  readonly commandList: ChatCommand[] = [];
  readonly features: Feature[];
  private readonly config: Config;
  private readonly log: Logger;
  private readonly journal: Journal;
  private readonly outbox: Outbox;
  private readonly run: (turn: TurnContext) => Promise<void>;
  private readonly active = new Set<Promise<void>>();
  private readonly adapterErrors = new Map<string, Error>();
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private pollTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private stopped = true;

  constructor(options: GatewayOptions) {
    const { config, database, log } = options;
    this.config = config;
    this.database = database;
    this.log = log;
    this.metrics = options.metrics ?? createMetrics();
    this.adapters = new Map(options.adapters.map((a) => [a.platform, a]));
    this.audit = new AuditLog(database.db);
    this.people = new People(database.db);
    this.history = new History(database.db);
    this.tools = new ToolRegistry(options.tools ?? builtinTools);
    this.leaseMs = options.leaseMs ?? 60_000;
    this.journal = new Journal(database, { leaseMs: this.leaseMs });
    this.outbox = new Outbox(database, this.adapters, log, this.metrics, { claimMs: 60_000, retryBaseMs: 2_000, maxAttempts: 10 });
    this.commandList.push(...helpCommands(config.agent.name, () => this.commandList));
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;

    this.features = (options.features ?? []).map((create) =>
      create({
        config,
        database,
        audit: this.audit,
        people: this.people,
        history: this.history,
        metrics: this.metrics,
        log,
        adapters: this.adapters,
        tools: this.tools,
        notify: (target) => this.notify(target),
      }),
    );
    for (const feature of this.features) {
      this.commandList.push(...(feature.commands ?? []));
      for (const tool of feature.tools ?? []) this.tools.register(tool);
    }
    const extra = (position: StagePosition) => this.features.flatMap((f) => (f.stages ?? []).filter((s) => s.after === position).map((s) => s.stage));
    const unknownSenderHandlers = this.features.flatMap((f) => (f.unknownSender ? [f.unknownSender] : []));
    const stages: Stage[] = [
      identify({ people: this.people, audit: this.audit, agentName: config.agent.name, unknownSender: unknownSenderHandlers }),
      ...extra('identify'),
      gate(),
      ...extra('gate'),
      limit({ messagesPerMinute: config.limits.messagesPerMinute, guestMessagesPerMinute: config.limits.guestMessagesPerMinute, audit: this.audit }),
      ...extra('limit'),
      commands(() => this.commandList),
      ...extra('commands'),
      agent({
        model: options.model,
        history: this.history,
        tools: this.tools,
        audit: this.audit,
        metrics: this.metrics,
        agentName: config.agent.name,
        persona: config.agent.persona,
        maxToolSteps: config.agent.maxToolSteps,
        streaming: config.agent.streaming,
        turnTimeoutMs: config.ollama.turnTimeoutMs,
        historyBudgetChars: Math.max(1_000, config.ollama.contextTokens * 4 - 6_000),
        onPreview: (journalId, messageId) => this.journal.setPreview(journalId, messageId),
        contextFor: this.features.flatMap((f) => (f.context ? [f.context] : [])),
        afterTurn: this.features.flatMap((f) => (f.afterTurn ? [f.afterTurn] : [])),
      }),
    ];
    this.run = compose(stages);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.people.ensureOwner(parseOwnerAccounts(this.config.owner));
    if (this.database.driver === 'pglite') {
      // Only this process can have the embedded database open, so every claim is from a dead run.
      const released = await this.journal.releaseAllClaims();
      if (released) this.log.info({ count: released }, 'resuming messages that were being answered when Hearth stopped');
    }
    for (const feature of this.features) await feature.start?.();
    for (const adapter of this.adapters.values()) await this.startAdapter(adapter);
    this.pollTimer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.pollTimer.unref();
    this.pruneTimer = setInterval(() => void this.prune(), 60 * 60_000);
    this.pruneTimer.unref();
    void this.prune();
    this.wake();
  }

  private async startAdapter(adapter: Adapter): Promise<void> {
    const log = this.log.child({ platform: adapter.platform });
    try {
      await adapter.start({
        receive: (message) => this.receive(message),
        state: adapterStateStore(this.database.db, adapter.platform),
        log,
        audit: (event) => this.audit.record({ kind: event.kind, platform: adapter.platform, subject: event.subject, detail: event.detail }),
        isKnownAccount: async (accountId) => Boolean(await this.people.findByAccount({ platform: adapter.platform, accountId })),
        commands: this.commandList.map(({ name, description }) => ({ name, description })),
      });
      log.info('connected');
    } catch (error) {
      this.adapterErrors.set(adapter.platform, error as Error);
      log.error({ err: error }, `${adapter.platform} did not start; the other platforms keep running`);
    }
  }

  /** Journals an inbound event; resolves once it is durable. */
  async receive(message: InboundMessage): Promise<ReceiveOutcome> {
    const fresh = await this.journal.add(message);
    if (!fresh) {
      this.log.debug({ platform: message.platform, eventId: message.eventId }, 'duplicate event ignored');
      this.metrics.messagesIn.inc({ platform: message.platform, outcome: 'duplicate' });
      return 'duplicate';
    }
    this.wake();
    return 'accepted';
  }

  /** Starts as many turns as concurrency allows; safe to call any time. */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pump()
      .catch((error: unknown) => this.log.error({ err: error }, 'could not read the journal; will try again'))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    const platforms = [...this.adapters.keys()];
    while (!this.stopped && this.active.size < this.config.agent.concurrency) {
      const entry = await this.journal.claim(platforms);
      if (!entry) break;
      const work = this.process(entry).finally(() => {
        this.active.delete(work);
        this.wake();
      });
      this.active.add(work);
    }
    for (const key of await this.outbox.dueConversations()) void this.deliver(key);
  }

  private async deliver(conversationKey: string): Promise<void> {
    try {
      await this.outbox.deliver(conversationKey);
    } catch (error) {
      this.log.error({ err: error, conversation: conversationKey }, 'outbox delivery crashed; will retry');
    }
  }

  private async process(entry: JournalEntry): Promise<void> {
    const adapter = this.adapters.get(entry.message.platform)!;
    const log = this.log.child({ platform: entry.message.platform, journalId: entry.id });
    const turn: TurnContext = {
      journalId: entry.id,
      attempt: entry.attempts,
      message: withAttachmentNote(entry.message),
      conversationKey: entry.conversationKey,
      adapter,
      log,
      apologized: entry.apologized,
      previewMessageId: entry.previewMessageId ?? undefined,
      outcome: 'done',
      replies: [],
    };
    const renew = setInterval(() => void this.journal.renew(entry.id).catch(() => {}), this.leaseMs / 3);
    try {
      await this.run(turn);
    } catch (error) {
      log.error({ err: error }, 'the pipeline failed on this message; will retry');
      this.metrics.errors.inc({ kind: 'pipeline' });
      turn.outcome = 'retry';
      turn.error = error as Error;
    } finally {
      clearInterval(renew);
    }
    if (turn.outcome === 'retry' && entry.attempts >= this.config.agent.maxAttempts) {
      turn.outcome = 'failed';
      turn.replies.push({ kind: 'notice', text: "I'm sorry — I tried several times and still couldn't answer that message. Please ask me again later." });
    }
    try {
      await this.settle(entry, turn);
    } catch (error) {
      // The entry stays claimed; when its lease runs out (or at the next start) it is answered again.
      log.error({ err: error }, 'could not record the outcome of this message; it will be retried');
      return;
    }
    this.metrics.messagesIn.inc({ platform: entry.message.platform, outcome: turn.outcome });
    if (turn.modelStartedAt && turn.outcome === 'done') this.metrics.agentLatency.observe({ platform: entry.message.platform }, (Date.now() - entry.receivedAt.getTime()) / 1000);
    log.info({ outcome: turn.outcome, attempt: entry.attempts, latencyMs: Date.now() - entry.receivedAt.getTime(), replies: turn.replies.length }, 'message handled');
    await this.deliver(entry.conversationKey);
  }

  /** Writes the outcome and its replies in one transaction: both happen or neither does. */
  private async settle(entry: JournalEntry, turn: TurnContext): Promise<void> {
    const { message } = entry;
    const retryAt = turn.outcome === 'retry' ? new Date(Date.now() + Math.min(MAX_RETRY_DELAY_MS, this.config.agent.retryBaseMs * 2 ** (entry.attempts - 1))) : undefined;
    const settle = Journal.settle(entry.id, turn.outcome, { retryAt, error: turn.error?.message, apologized: turn.replies.some((r) => r.kind === 'apology') });
    await this.database.db.transaction(async (tx) => {
      let seq = 0;
      for (const reply of turn.replies) {
        const rows = outboxRows(
          {
            journalId: entry.id,
            platform: message.platform,
            conversationKey: entry.conversationKey,
            conversation: message.conversation,
            kind: reply.kind,
            text: reply.text,
            replyToMessageId: message.conversation.kind === 'group' ? message.messageId : undefined,
            addressee: message.sender,
            editMessageId: reply.kind === 'reply' ? turn.previewMessageId : undefined,
          },
          turn.adapter,
          seq,
        );
        seq += rows.length;
        if (rows.length) await tx.insert(outboxTable).values(rows).onConflictDoNothing();
      }
      await tx.update(journalTable).set(settle.set).where(settle.where);
    });
  }

  private async prune(): Promise<void> {
    try {
      const removed = await this.journal.prune();
      if (removed) this.log.info({ removed }, 'pruned old journal entries');
    } catch (error) {
      this.log.warn({ err: error }, 'could not prune the journal');
    }
  }

  /** Sends a message outside any turn (an approval request, a notice), through the outbox. */
  async notify(target: { platform: string; conversation: import('../core/index.ts').ConversationRef; text: string }): Promise<void> {
    const adapter = this.adapters.get(target.platform);
    if (!adapter) throw new Error(`cannot notify on ${target.platform}: that platform is not connected`);
    const conversationKey = conversationKeyOf(target);
    const rows = outboxRows({ journalId: null, platform: target.platform, conversationKey, conversation: target.conversation, kind: 'notice', text: target.text }, adapter);
    if (rows.length) await this.database.db.insert(outboxTable).values(rows);
    await this.deliver(conversationKey);
  }

  /** Resolves when nothing is due in the journal or outbox and no turn is running (tests, shutdown). */
  async idle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietChecks = 0;
    while (quietChecks < 2) {
      if (Date.now() > deadline) throw new Error('Hearth did not become idle in time');
      const busy = this.active.size > 0 || this.pumping || (await this.dueWork());
      quietChecks = busy ? 0 : quietChecks + 1;
      if (busy) this.wake();
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async dueWork(): Promise<boolean> {
    const rows = await this.database.rows<{ n: number }>(
      sql`select
        (select count(*) from inbound_journal where (status = 'pending' and next_attempt_at <= now()) or status = 'processing')
        + (select count(*) from outbox where status = 'pending' and next_attempt_at <= now()) as n`,
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  health(): Array<{ platform: string; ok: boolean; detail: string }> {
    return [...this.adapters.values()].map((adapter) => {
      const failed = this.adapterErrors.get(adapter.platform);
      return failed ? { platform: adapter.platform, ok: false, detail: failed.message } : { platform: adapter.platform, ...adapter.health() };
    });
  }

  /**
   * Stops taking new work and waits up to `graceMs` for answers in progress. A turn still running
   * after that keeps its journal claim and is answered again after the next start.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.pruneTimer);
    for (const adapter of this.adapters.values()) {
      await adapter.stop().catch((error: unknown) => this.log.warn({ err: error, platform: adapter.platform }, 'adapter did not stop cleanly'));
    }
    for (const feature of this.features) await feature.stop?.().catch((error: unknown) => this.log.warn({ err: error, feature: feature.name }, 'feature did not stop cleanly'));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, options.graceMs ?? 10_000)));
    await Promise.race([Promise.allSettled([...this.active]), grace]);
    clearTimeout(timer);
    if (this.active.size) this.log.warn({ inProgress: this.active.size }, 'stopping with answers in progress; they will be answered after the next start');
  }
}
