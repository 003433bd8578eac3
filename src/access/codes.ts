/**
 * One-time codes people type (pairing, /link, approvals) and the throttle on wrong guesses.
 * Codes use an alphabet without look-alikes (no 0/O, 1/I/L) so they survive being read aloud
 * or retyped from another screen. Wrong codes count against the person (or account) trying;
 * after too many, even a right code is refused until the window passes, so guessing a link code
 * — which would join the guesser's account to someone else — is hopeless.
 */
import { randomInt } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from '../rate-limiter.ts';

const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function newCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** What a person typed, as a code: case and separators ignored. */
export function normalizeCode(text: string): string {
  return text.toUpperCase().replace(/[\s-]/g, '');
}

export const looksLikeCode = (text: string): boolean => /^[A-Z0-9]{4,12}$/.test(normalizeCode(text));

export class CodeAttempts {
  private readonly failures: RateLimiterMemory;
  constructor(options: { failures: number; windowSeconds: number }) {
    this.failures = new RateLimiterMemory({ points: options.failures, duration: options.windowSeconds });
  }

  /** Milliseconds until `key` may try again, or 0 when it may try now. */
  async blockedFor(key: string): Promise<number> {
    const state = await this.failures.get(key);
    return state && state.remainingPoints <= 0 ? Math.max(1, state.msBeforeNext) : 0;
  }

  async fail(key: string): Promise<void> {
    try {
      await this.failures.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
    }
  }
}

export function minutes(ms: number): string {
  const m = Math.max(1, Math.ceil(ms / 60_000));
  return m === 1 ? 'a minute' : `${m} minutes`;
}
