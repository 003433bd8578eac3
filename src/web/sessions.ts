/**
 * Web admin sessions, in memory: a random id in an HttpOnly, SameSite=Strict cookie, a CSRF token
 * of its own that every form must send back, and a fixed lifetime. Restarting Hearth signs
 * everyone out, which is the safe direction for a household's admin page.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../pipeline/clock.ts';
import { tokenMatches } from '../http/admin.ts';

export const SESSION_COOKIE = 'hearth_session';
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface WebSession {
  id: string;
  csrf: string;
  /** How they signed in: 'token' or 'link'. */
  method: 'token' | 'link';
  expiresAt: Date;
}

const secret = () => randomBytes(32).toString('base64url');

export class WebSessions {
  private readonly sessions = new Map<string, WebSession>();
  private readonly clock: Clock;
  readonly ttlMs: number;

  constructor(clock: Clock, ttlMs = SESSION_TTL_MS) {
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  open(method: WebSession['method']): WebSession {
    this.sweep();
    const session = { id: secret(), csrf: secret(), method, expiresAt: new Date(this.clock.now().getTime() + this.ttlMs) };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session this cookie value names, or undefined (unknown or expired). */
  find(id: string | undefined): WebSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt.getTime() <= this.clock.now().getTime()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  csrfMatches(session: WebSession, given: string | undefined): boolean {
    return Boolean(given) && tokenMatches(given!, session.csrf);
  }

  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const [id, session] of this.sessions) if (session.expiresAt.getTime() <= now) this.sessions.delete(id);
  }
}
