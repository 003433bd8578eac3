/**
 * A turn cut short by the database (a PostgreSQL restart, a dropped connection) is not the
 * message's fault: it is retried as soon as the database answers again. The process that held the
 * claim knows it lost the turn, so it hands the claim back itself instead of letting the message
 * wait for its lease to run out.
 */
import type { Logger } from '../log.ts';
import type { Journal } from './journal.ts';

/** PostgreSQL's "connection exception" class and the shutdown/startup codes (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-4]$|53300$|55000$)/;
/** postgres.js and Node socket codes for a lost or refused connection. */
const UNAVAILABLE_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** Does this error (or any cause behind it, e.g. drizzle's "Failed query") say the database could not be reached? */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  }
  return false;
}

/**
 * Keeps trying to hand a lost turn's claim back (due at once) until the database answers, for at
 * most one lease; after that the lease has run out and any worker takes the message anyway.
 */
export async function releaseWhenDatabaseIsBack(journal: Journal, id: number, options: { leaseMs: number; log: Logger; stopped: () => boolean }): Promise<boolean> {
  const deadline = Date.now() + options.leaseMs;
  for (let pauseMs = 100; !options.stopped() && Date.now() < deadline; pauseMs = Math.min(pauseMs * 2, 2_000)) {
    try {
      await journal.release(id);
      options.log.info('the database is back; retrying the message it interrupted');
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
  return false;
}
