/**
 * Per-person message rate limit (rate-limiter-flexible, in memory: a restart forgives everyone,
 * which is the friendly failure mode for a household). Guests get a tighter limit than members
 * and the owner. The person is told once per window.
 */
import { RateLimiterMemory, RateLimiterRes } from '../../rate-limiter.ts';
import type { AuditLog } from '../../audit/audit.ts';
import { senderOf, type Stage } from '../context.ts';

export interface LimitOptions {
  messagesPerMinute: number;
  /** Defaults to messagesPerMinute. */
  guestMessagesPerMinute?: number;
  audit: AuditLog;
}

export function limit(options: LimitOptions): Stage {
  const guestLimit = options.guestMessagesPerMinute ?? options.messagesPerMinute;
  const limiters = {
    everyone: new RateLimiterMemory({ points: options.messagesPerMinute, duration: 60 }),
    guest: new RateLimiterMemory({ points: guestLimit, duration: 60 }),
  };
  const told = new Map<string, number>();
  return async (turn, next) => {
    const person = senderOf(turn);
    // A retried message was already counted when it first arrived; a routine was set up by the person, not sent now.
    if (turn.attempt > 1 || turn.origin) return next();
    const guest = person.role === 'guest';
    try {
      await (guest ? limiters.guest : limiters.everyone).consume(person.id);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      turn.outcome = 'limited';
      await options.audit.recordRepeated(`messages:${person.id}`, { kind: 'rate.limited', actorPersonId: person.id, platform: turn.message.platform, subject: 'messages-per-minute', detail: { limit: guest ? guestLimit : options.messagesPerMinute, role: person.role } });
      const windowEnds = Date.now() + rejection.msBeforeNext;
      if ((told.get(person.id) ?? 0) < Date.now()) {
        told.set(person.id, windowEnds);
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        turn.replies.push({ kind: 'notice', text: `You're sending messages faster than I can keep up with. Give me about ${seconds} seconds, then try again.` });
      }
      return;
    }
    return next();
  };
}
