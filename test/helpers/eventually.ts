/**
 * Waits, bounded, for state that arrives asynchronously (a message on the stand-in, a row in the
 * database). Returns the first value the probe yields that is neither undefined nor false. The
 * bound stretches on a busy machine (time-scale.ts); a wait left over from a test that already
 * ended stops at once (test-scope.ts).
 */
import { scaled } from './time-scale.ts';
import { assertTestLive } from './test-scope.ts';

export async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const limit = scaled(ms);
  const deadline = Date.now() + limit;
  for (;;) {
    assertTestLive(`wait for ${what}`);
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${limit} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `eventually` for a condition. */
export async function until(probe: () => unknown | Promise<unknown>, what: string, ms = 10_000): Promise<void> {
  await eventually(async () => ((await probe()) ? true : undefined), what, ms);
}
