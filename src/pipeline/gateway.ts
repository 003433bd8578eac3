/**
 * The gateway: adapters hand events in, the journal keeps them, the worker runs each through
 * the stages, and the outbox delivers what they produced. This file wires those parts and the
 * features together and owns start and stop; nothing here knows a platform by name.
 */
import { checkedInbound, type Adapter, type InboundMessage, type ReceiveOutcome, type SetAsideEvent } from '../core/index.ts';
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import type { ChatModel } from '../agent/model.ts';
import { AuditLog } from '../audit/audit.ts';
import { People, parseOwnerAccounts, senderFromJson, senderOfAccount } from '../access/people.ts';
import { Contacts } from '../access/contacts.ts';
import { History } from '../memory/history.ts';
import { ToolCatalog } from '../tools/catalog.ts';
import type { ToolDefinition } from '../tools/tool.ts';
import { builtinTools } from '../tools/builtin/index.ts';
import type { Logger } from '../log.ts';
import { connectionGauge, createMetrics, type Metrics } from '../http/metrics.ts';
import { compose, conversationKeyOf } from './context.ts';
import { ArrivalOrder } from './arrival-order.ts';
import { ModelRecovery } from './model-recovery.ts';
import { Journal, type JournalEntry } from './journal.ts';
import { PoisonLog } from './poison.ts';
import { Admission } from './admission.ts';
import { Outbox, queueNotice } from './outbox.ts';
import { adapterStateStore } from './adapter-state.ts';
import { helpCommands, type ChatCommand } from './stages/commands.ts';
import type { Feature, FeatureDependencies, FeatureFactory, NoticeTarget } from './feature.ts';
import { assembleStages } from './assemble.ts';
import { TurnWorker } from './worker.ts';
import { ConnectionHolder } from './connections.ts';
import { BackgroundWork } from './timers.ts';
import { systemClock, type Clock } from './clock.ts';
import { scheduledMessage, type ScheduledTurn } from './origin.ts';

export interface GatewayOptions {
  config: Config;
  database: Database;
  adapters: Adapter[];
  model: ChatModel;
  log: Logger;
  metrics?: Metrics;
  /** Built-in tools; defaults to Hearth's own (src/tools/builtin). */
  tools?: ToolDefinition[];
  /** How often due retries are looked for when nothing new arrives. */
  pollIntervalMs?: number;
  leaseMs?: number;
  /** When several processes share PostgreSQL: longest time a dead process's connections stay unheld. */
  takeoverMs?: number;
  features?: FeatureFactory[];
  clock?: Clock;
}

/** Creates features in order; the CLI uses this too, so it sees the same tools and commands. */
export function createFeatures(factories: FeatureFactory[], deps: FeatureDependencies): Feature[] {
  return factories.map((create) => create(deps));
}

export class Gateway {
  readonly database: Database;
  readonly audit: AuditLog;
  readonly people: People;
  readonly contacts: Contacts;
  readonly history: History;
  readonly catalog: ToolCatalog;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** The adapters usable in this process now: an exclusive one only while this process holds it. */
  readonly adapters: Map<string, Adapter>;
  readonly commandList: ChatCommand[] = [];
  readonly features: Feature[];
  private readonly config: Config;
  private readonly log: Logger;
  private readonly journal: Journal;
  private readonly admission: Admission;
  readonly poison: PoisonLog;
  private readonly outbox: Outbox;
  private readonly worker: TurnWorker;
  private readonly background: BackgroundWork;
  private readonly adapterErrors = new Map<string, Error>();
  private readonly arrivals = new ArrivalOrder();
  private readonly recovery: ModelRecovery;
  /** Every configured adapter, held here or not. */
  private readonly configured: Map<string, Adapter>;
  private readonly holder: ConnectionHolder;
  private readonly pollIntervalMs: number;
  private stopped = true;

  constructor(options: GatewayOptions) {
    const { config, database, log } = options;
    this.config = config;
    this.database = database;
    this.log = log;
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? createMetrics();
    this.configured = new Map(options.adapters.map((a) => [a.platform, a]));
    this.adapters = new Map(options.adapters.filter((a) => !a.exclusive).map((a) => [a.platform, a]));
    this.holder = new ConnectionHolder({ database, log, takeoverMs: options.takeoverMs ?? config.cluster.takeoverSeconds * 1000 });
    connectionGauge(this.metrics.registry, () => this.holder.held());
    this.audit = new AuditLog(database.db, { now: () => this.clock.now().getTime() });
    this.people = new People(database.db);
    this.contacts = new Contacts(database.db);
    this.history = new History(database.db);
    this.catalog = new ToolCatalog({ builtin: options.tools ?? builtinTools(config) });
    this.background = new BackgroundWork(log);
    const leaseMs = options.leaseMs ?? 60_000;
    this.journal = new Journal(database, { leaseMs, processId: this.holder.processId, senderOf: { sql: senderOfAccount, parse: senderFromJson } });
    this.poison = new PoisonLog(database.db);
    this.admission = new Admission({ audit: this.audit, metrics: this.metrics });
    this.outbox = new Outbox(database, this.adapters, log, this.metrics, { claimMs: 60_000, retryBaseMs: 2_000, maxAttempts: 10 });
    this.commandList.push(...helpCommands(config.agent.name, () => this.commandList));
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;

    this.features = createFeatures(options.features ?? [], {
      config,
      database,
      audit: this.audit,
      people: this.people,
      contacts: this.contacts,
      history: this.history,
      metrics: this.metrics,
      log,
      clock: this.clock,
      adapters: this.adapters,
      catalog: this.catalog,
      notify: (target) => this.notify(target),
      enqueue: (turn) => this.enqueue(turn),
      every: (name, ms, work, opts) => this.background.every(name, ms, work, opts),
      health: () => this.health(),
      features: () => this.features,
    });
    for (const feature of this.features) {
      this.commandList.push(...(feature.commands ?? []));
      if (feature.tools?.length) this.catalog.replace(feature.name, feature.tools);
    }
    const stages = assembleStages({
      config,
      model: options.model,
      audit: this.audit,
      people: this.people,
      history: this.history,
      metrics: this.metrics,
      catalog: this.catalog,
      features: this.features,
      commands: () => this.commandList,
      onPreview: (journalId, messageId) => this.journal.setPreview(journalId, messageId),
      log,
    });
    this.recovery = new ModelRecovery({ model: options.model, journal: this.journal, log, wake: () => this.wake(), every: (name, ms, work) => this.background.every(name, ms, work) });
    const onRetryLater = (conversationKey: string) => this.recovery.retryLater(conversationKey);
    this.worker = new TurnWorker({ config, database, journal: this.journal, outbox: this.outbox, adapters: this.adapters, log, metrics: this.metrics, clock: this.clock, leaseMs, run: compose(stages), onRetryLater, shared: this.holder.shared });
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.people.ensureOwner(parseOwnerAccounts(this.config.owner));
    if (this.database.driver === 'pglite') {
      // Only this process can have the embedded database open, so every claim is from a dead run.
      const released = await this.journal.releaseAllClaims();
      if (released) this.log.info({ count: released }, 'resuming messages that were being answered when Hearth stopped');
      const unsent = await this.outbox.resumeAll();
      if (unsent) this.log.info({ count: unsent }, 'sending replies that were waiting when Hearth stopped');
    }
    // Before any claim: the claims carry this process's liveness lock.
    await this.holder.start();
    for (const feature of this.features) {
      if (this.stopped) return;
      await feature.start?.();
    }
    for (const adapter of this.configured.values()) {
      if (this.stopped) return;
      if (adapter.exclusive) await this.holder.hold(adapter.platform, { start: () => this.startExclusive(adapter), stop: () => this.stopExclusive(adapter) });
      else await this.startAdapter(adapter);
    }
    // stop() came while platforms were connecting: it already stopped them; start nothing more.
    if (this.stopped) return;
    this.worker.start();
    this.recovery.start();
    this.background.every('poll', this.pollIntervalMs, async () => {
      if (this.holder.shared) {
        const released = await this.journal.releaseDeadClaims();
        if (released) this.log.info({ count: released }, 'taking over messages another Hearth process was answering when it died');
      }
      this.worker.wake({ outbox: true });
    });
    this.background.every('journal-prune', 60 * 60_000, () => this.prune(), { immediately: true });
    this.background.every('audit-repeats', 60_000, () => this.audit.flushRepeated());
  }

  /** An adapter only one process may run: its turns and replies are handled where it runs. */
  private async startExclusive(adapter: Adapter): Promise<void> {
    await this.startAdapter(adapter, { rethrow: true });
    this.adapters.set(adapter.platform, adapter);
    // Replies may be waiting for this platform since its last holder stopped, some claimed by it
    // (it died mid-send, or just after a turn stored them): only the holder sends them, so they
    // would otherwise wait out the claim.
    const claimed = await this.outbox.resumeAll(adapter.platform);
    if (claimed) this.log.info({ platform: adapter.platform, count: claimed }, 'sending replies that were waiting for this platform');
    this.worker.wake({ outbox: true });
  }

  private async stopExclusive(adapter: Adapter): Promise<void> {
    this.adapters.delete(adapter.platform);
    await adapter.stop();
  }

  private async startAdapter(adapter: Adapter, options: { rethrow?: boolean } = {}): Promise<void> {
    const log = this.log.child({ platform: adapter.platform });
    this.adapterErrors.delete(adapter.platform);
    try {
      await adapter.start({
        receive: (message) => this.receive(message),
        state: adapterStateStore(this.database.db, adapter.platform),
        log,
        audit: (event) => {
          const entry = { kind: event.kind, platform: adapter.platform, subject: event.subject, detail: event.detail };
          return event.source === undefined ? this.audit.record(entry) : this.audit.recordRepeated(`${adapter.platform}:${event.source}`, entry);
        },
        isKnownAccount: async (accountId) => Boolean(await this.people.findByAccount({ platform: adapter.platform, accountId })),
        commands: this.commandList.map(({ name, description }) => ({ name, description })),
        setAside: (event) => this.setAside(adapter.platform, event),
        exclusive: (name, connection) => this.holder.hold(`${adapter.platform}:${name}`, connection),
      });
      // Stopped while connecting: the adapter's stop() may have run before it was running.
      if (this.stopped) return void (await adapter.stop().catch(() => {}));
      log.info('connected');
    } catch (error) {
      if (this.stopped) return void log.info('stopped while connecting');
      this.adapterErrors.set(adapter.platform, error as Error);
      log.error({ err: error }, `${adapter.platform} did not start; the other platforms keep running`);
      if (options.rethrow) throw error;
    }
  }

  /**
   * Journals an inbound event; resolves once it is durable. Throws MalformedEventError for a
   * message whose fields have the wrong types; every string is made storable first.
   */
  async receive(message: InboundMessage): Promise<ReceiveOutcome> {
    // Only Hearth itself starts turns with an origin; an adapter's message is always a platform event.
    const { origin: _never, ...event } = checkedInbound(message) as InboundMessage & { origin?: unknown };
    const conversationKey = conversationKeyOf(event);
    // Journaled at once when the sender is known (one statement); a stranger's message only if
    // admission lets it in. Inside the ordered section: both are database calls that could
    // otherwise reorder arrivals.
    // With a free turn slot, the known sender's message is claimed by the statement that stores it.
    const slot = this.worker.reserveSlot();
    let claimed: JournalEntry | undefined;
    const admitted = await this.arrivals
      .inOrder(conversationKey, async () => {
        const known = await this.journal.addFromKnown(event, { claim: slot });
        claimed = known.claimed;
        if (known.known) return { fresh: known.fresh };
        return (await this.admission.admit(event)) ? { fresh: await this.journal.add(event) } : undefined;
      })
      .finally(() => slot && this.worker.startClaimed(claimed));
    if (claimed) return 'accepted';
    if (!admitted) return 'dropped';
    const { fresh } = admitted;
    if (!fresh) {
      this.log.debug({ platform: message.platform, eventId: message.eventId }, 'duplicate event ignored');
      this.metrics.messagesIn.inc({ platform: message.platform, outcome: 'duplicate' });
      return 'duplicate';
    }
    await this.recovery.arrived(conversationKey).catch((error: unknown) => this.log.warn({ err: error }, 'could not bring an older waiting message forward'));
    this.worker.wake();
    return 'accepted';
  }

  /** Records an event an adapter could not hand in, so the platform can move past it. */
  async setAside(platform: string, event: SetAsideEvent): Promise<void> {
    await this.poison.record(platform, event);
    this.metrics.poisonEvents.inc({ platform });
    this.metrics.messagesIn.inc({ platform, outcome: 'set-aside' });
  }

  /** Journals a turn the clock started (a routine); false when that occurrence was already journaled. */
  async enqueue(turn: ScheduledTurn): Promise<boolean> {
    if (!this.configured.has(turn.platform)) throw new Error(`cannot start a turn on ${turn.platform}: that platform is not connected`);
    const fresh = await this.journal.add(scheduledMessage(turn));
    if (fresh) this.worker.wake();
    return fresh;
  }

  /** Starts as many turns as concurrency allows and sends replies that are due; safe to call any time. */
  wake(): void {
    if (!this.stopped) this.worker.wake({ outbox: true });
  }

  private async prune(): Promise<void> {
    const removed = await this.journal.prune();
    if (removed) this.log.info({ removed }, 'pruned old journal entries');
    const poison = await this.poison.prune();
    if (poison) this.log.info({ removed: poison }, 'pruned old records of set-aside events');
  }

  /** Sends a message outside any turn (an approval request, a notice), through the outbox. */
  async notify(target: NoticeTarget): Promise<void> {
    const conversationKey = await queueNotice(this.database, target, this.adapters.get(target.platform));
    if (this.adapters.has(target.platform)) await this.worker.deliver(conversationKey);
  }

  /** Resolves when nothing is due in the journal or outbox and no turn is running (tests, shutdown). */
  async idle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietChecks = 0;
    while (quietChecks < 2) {
      if (Date.now() > deadline) throw new Error('Hearth did not become idle in time');
      const busy = this.worker.busy || (await this.journal.hasDue()) || (await this.outbox.hasDue());
      quietChecks = busy ? 0 : quietChecks + 1;
      if (busy) this.wake();
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  health(): Array<{ platform: string; ok: boolean; detail: string }> {
    return [...this.configured.values()].map((adapter) => {
      const failed = this.adapterErrors.get(adapter.platform);
      if (failed) return { platform: adapter.platform, ok: false, detail: failed.message };
      if (adapter.exclusive && !this.adapters.has(adapter.platform)) return { platform: adapter.platform, ok: true, detail: 'standing by: another Hearth process holds this connection' };
      return { platform: adapter.platform, ...adapter.health() };
    });
  }

  /** Which platform connections this process holds and which it stands by for (/readyz). */
  connections(): { process?: number; held: string[]; standingBy: string[] } {
    return { ...(this.holder.processId !== undefined ? { process: this.holder.processId } : {}), held: this.holder.held(), standingBy: this.holder.standingBy() };
  }

  /**
   * Stops taking new work and waits up to `graceMs` for answers in progress. A turn still running
   * after that keeps its journal claim and is answered again after the next start.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopped = true;
    // Turns and sends first, platforms after: stopping a platform aborts its requests in flight,
    // and a send aborted after it reached the platform would be sent again on the next start.
    // Meanwhile the platforms keep receiving; what arrives is journaled for whoever answers next.
    const left = await this.worker.stop(options.graceMs ?? 10_000);
    await this.holder.releaseConnections();
    for (const adapter of this.configured.values()) {
      if (adapter.exclusive) continue;
      await adapter.stop().catch((error: unknown) => this.log.warn({ err: error, platform: adapter.platform }, 'adapter did not stop cleanly'));
    }
    // Only now: with the liveness lock gone, other processes take over the turns left unfinished.
    await this.holder.stop();
    if (left) this.log.warn({ inProgress: left }, 'stopping with answers in progress; they will be answered after the next start');
    for (const feature of this.features) await feature.stop?.().catch((error: unknown) => this.log.warn({ err: error, feature: feature.name }, 'feature did not stop cleanly'));
    await this.background.stop();
    await this.audit.flushRepeated({ everything: true }).catch((error: unknown) => this.log.warn({ err: error }, 'could not write the counts of repeated audit events'));
  }
}
