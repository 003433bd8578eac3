/**
 * A PostgreSQL connection of its own that holds one Hearth process's advisory locks. A
 * session-level advisory lock lives exactly as long as its connection: when the process is
 * killed its socket closes and the server drops the locks at once, which is how the other
 * processes learn that this one is gone (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
 * A machine that vanishes without closing its socket is noticed by the server's TCP keepalives.
 */
import type { Sql } from 'postgres';

/** Key spaces (the first int of the two-int advisory lock key): 'Hrth' and 'Hrti'. */
export const PROCESS_LOCKS = 0x48727468;
export const CONNECTION_LOCKS = 0x48727469;

export interface LockSession {
  /** Locks this process's liveness key; other processes see it in pg_locks while we live. */
  lockProcess(processId: number): Promise<boolean>;
  /** Takes the named lock if it is free. Session locks stack, so the caller asks only for ones it does not hold. */
  tryLock(name: string): Promise<boolean>;
  /** Waits until the named lock is free, then takes it. */
  lock(name: string): Promise<void>;
  unlock(name: string): Promise<void>;
  /** Rejects when the connection is gone — and with it every lock it held. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface LockSessionOptions {
  /** How long the server waits on a silent peer before dropping its connection (and locks). */
  deadPeerSeconds: number;
  /** Called once when the connection closes for any reason other than close(). */
  onLost(): void;
}

export async function openLockSession(url: string, options: LockSessionOptions): Promise<LockSession> {
  const { default: postgres } = await import('postgres');
  let closing = false;
  let lost = false;
  const idle = Math.max(1, Math.floor(options.deadPeerSeconds / 3));
  const sql: Sql = postgres(url, {
    max: 1,
    // The locks must not be dropped by the pool recycling the connection.
    idle_timeout: 0,
    max_lifetime: 0,
    connect_timeout: 10,
    keep_alive: idle,
    onnotice: () => {},
    fetch_types: false,
    connection: {
      application_name: 'hearth-locks',
      tcp_keepalives_idle: idle,
      tcp_keepalives_interval: Math.max(1, Math.floor(idle / 3)),
      tcp_keepalives_count: 3,
    } as Record<string, unknown> as never,
    onclose: () => {
      if (closing || lost) return;
      lost = true;
      options.onLost();
    },
  });
  await sql`select 1`;
  const guard = () => {
    // postgres.js would quietly reconnect, without the locks: a lost session stays lost.
    if (lost) throw new Error('the lock session to PostgreSQL was lost');
  };
  return {
    async lockProcess(processId) {
      guard();
      const [row] = await sql<Array<{ ok: boolean }>>`select pg_try_advisory_lock(${PROCESS_LOCKS}::int, ${processId}::int) as ok`;
      return Boolean(row?.ok);
    },
    async tryLock(name) {
      guard();
      const [row] = await sql<Array<{ ok: boolean }>>`select pg_try_advisory_lock(${CONNECTION_LOCKS}::int, hashtext(${name})) as ok`;
      return Boolean(row?.ok);
    },
    async lock(name) {
      guard();
      await sql`select pg_advisory_lock(${CONNECTION_LOCKS}::int, hashtext(${name}))`;
    },
    async unlock(name) {
      if (lost) return;
      await sql`select pg_advisory_unlock(${CONNECTION_LOCKS}::int, hashtext(${name}))`;
    },
    async ping(timeoutMs) {
      guard();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`PostgreSQL did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([sql`select 1`, timeout]);
      } catch (error) {
        if (!lost) {
          lost = true;
          closing = true;
          void sql.end({ timeout: 0 }).catch(() => {});
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closing = true;
      await sql.end({ timeout: 2 }).catch(() => {});
    },
  };
}
