/**
 * Several Hearth processes on one PostgreSQL: every process answers turns, but a platform's
 * inbound connection (Telegram polling, the Discord gateway session, the Matrix sync loop) must
 * run in exactly one of them. Each such connection is held through an advisory lock on this
 * process's lock session; a process that dies loses its locks with its socket, and a standing-by
 * process takes the connection over at its next try (every third of the takeover time).
 *
 * The same session holds this process's liveness lock, whose id is written on every journal
 * claim: claims of a process whose lock is gone are taken over at once instead of when their
 * lease runs out. On PGlite (one process by nature) every connection simply starts.
 */
import { randomInt } from 'node:crypto';
import type { ExclusiveConnection } from '../core/index.ts';
import type { Database } from '../db/client.ts';
import type { LockSession } from '../db/lock-session.ts';
import type { Logger } from '../log.ts';

interface Wanted {
  name: string;
  connection: ExclusiveConnection;
  held: boolean;
  /** A start in progress, so stop() waits for it. */
  starting?: Promise<void>;
}

export interface ConnectionHolderOptions {
  database: Database;
  log: Logger;
  /** Longest time a connection stays without a holder after its holder died. */
  takeoverMs: number;
}

export class ConnectionHolder {
  /** This process's liveness key (PostgreSQL only), written on the journal claims it makes. */
  readonly processId: number | undefined;
  private readonly options: ConnectionHolderOptions;
  private readonly wanted = new Map<string, Wanted>();
  private session: LockSession | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = true;

  constructor(options: ConnectionHolderOptions) {
    this.options = options;
    this.processId = options.database.openLockSession ? randomInt(1, 2 ** 31 - 1) : undefined;
  }

  get shared(): boolean {
    return this.processId !== undefined;
  }

  /** Opens the lock session and takes the liveness lock; before this process claims any turn. */
  async start(): Promise<void> {
    this.stopped = false;
    if (!this.shared) return;
    await this.connect();
    this.schedule();
  }

  /**
   * Runs `connection` whenever this process holds `name`. Resolves after the first try: at once
   * started when free, otherwise left to a later try.
   */
  async hold(name: string, connection: ExclusiveConnection): Promise<void> {
    const entry: Wanted = { name, connection, held: false };
    this.wanted.set(name, entry);
    if (!this.shared) return this.begin(entry);
    if (this.session) await this.tryTake(entry);
  }

  /** Connections this process holds now (for /readyz and /metrics). */
  held(): string[] {
    return [...this.wanted.values()].filter((w) => w.held).map((w) => w.name);
  }

  /** Connections another process holds; this one takes them over if that one dies. */
  standingBy(): string[] {
    return [...this.wanted.values()].filter((w) => !w.held).map((w) => w.name);
  }

  /** Stops every connection it holds and lets the others take them over at once. */
  async releaseConnections(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    for (const entry of this.wanted.values()) await this.release(entry);
    this.wanted.clear();
  }

  /** Then gives up the liveness lock: the claims this process still has are taken over. */
  async stop(): Promise<void> {
    await this.releaseConnections();
    await this.session?.close();
    this.session = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule();
      });
    }, Math.max(250, Math.floor(this.options.takeoverMs / 3)));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const { log, takeoverMs } = this.options;
    if (this.session) {
      try {
        await this.session.ping(Math.max(1_000, Math.floor(takeoverMs / 3)));
      } catch (error) {
        await this.lost(error as Error);
      }
    }
    if (!this.session) {
      try {
        await this.connect();
      } catch (error) {
        log.warn({ err: error }, 'cannot reach PostgreSQL for connection locks; will try again');
        return;
      }
    }
    for (const entry of this.wanted.values()) {
      if (this.stopped) return;
      if (!entry.held) await this.tryTake(entry);
    }
  }

  private async connect(): Promise<void> {
    const { database, takeoverMs } = this.options;
    const session = await database.openLockSession!({
      deadPeerSeconds: Math.max(3, Math.floor(takeoverMs / 1000)),
      onLost: () => void this.lost(new Error('the connection to PostgreSQL closed')),
    });
    if (!(await session.lockProcess(this.processId!))) {
      await session.close();
      throw new Error(`process id ${this.processId} is already taken by another Hearth process`);
    }
    this.session = session;
  }

  /** Without the session our locks are gone: stop everything at once, before another process starts it. */
  private async lost(error: Error): Promise<void> {
    if (!this.session) return;
    const session = this.session;
    this.session = undefined;
    const held = this.held();
    if (held.length) this.options.log.error({ err: error, connections: held }, 'lost the lock session to PostgreSQL; stopping the connections this process held until it is back');
    for (const entry of this.wanted.values()) await this.release(entry, { unlock: false });
    await session.close();
  }

  private async tryTake(entry: Wanted): Promise<void> {
    const session = this.session;
    if (!session || this.stopped) return;
    let taken: boolean;
    try {
      taken = await session.tryLock(entry.name);
    } catch (error) {
      this.options.log.warn({ err: error, connection: entry.name }, 'could not ask PostgreSQL for a connection lock; will try again');
      return;
    }
    if (!taken) return;
    try {
      await this.begin(entry);
      this.options.log.info({ connection: entry.name, process: this.processId }, 'this process now holds the connection');
    } catch (error) {
      this.options.log.error({ err: error, connection: entry.name }, 'could not start a connection this process took; another process may take it');
      await session.unlock(entry.name).catch(() => {});
    }
  }

  private async begin(entry: Wanted): Promise<void> {
    entry.starting = entry.connection.start();
    try {
      await entry.starting;
      entry.held = true;
    } finally {
      entry.starting = undefined;
    }
  }

  private async release(entry: Wanted, options: { unlock?: boolean } = {}): Promise<void> {
    await entry.starting?.catch(() => {});
    if (!entry.held) return;
    entry.held = false;
    await entry.connection.stop().catch((error: unknown) => this.options.log.warn({ err: error, connection: entry.name }, 'a connection did not stop cleanly'));
    if (options.unlock !== false) await this.session?.unlock(entry.name).catch(() => {});
  }
}
