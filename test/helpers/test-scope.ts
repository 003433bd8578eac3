/**
 * Keeps a test that timed out from touching the next test. JavaScript cannot stop a test body:
 * after vitest gives up on it, the body goes on in the background, and the next test's
 * beforeEach has meanwhile put fresh stand-ins into the same module variables — so the late
 * `fake.post(…)` of the old test lands in the new test's chat ("stays silent in a group" then
 * sees a reply). Every test and its hooks run in a scope of their own (AsyncLocalStorage, entered
 * by setup-each.ts); once the test has ended, anything its leftover code does through the test
 * helpers and stand-ins (start Hearth, post a message, queue a model answer, wait) throws
 * StaleTestError instead, ending that leftover code at its next step.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface Scope {
  name: string;
  ended: boolean;
  /** Set while the test runs: skips it (used by requirements that turn out missing). */
  skip?: (note: string) => never;
}

const scopes = new AsyncLocalStorage<Scope>();

export class StaleTestError extends Error {
  override name = 'StaleTestError';
}

/** Runs one test (with its hooks) in a scope that ends when it ends or times out. */
export async function runInTestScope(name: string, signal: AbortSignal, run: () => Promise<void>): Promise<void> {
  const scope: Scope = { name, ended: false };
  const end = () => (scope.ended = true);
  signal.addEventListener('abort', end, { once: true });
  try {
    await scopes.run(scope, run);
  } finally {
    end();
    signal.removeEventListener('abort', end);
  }
}

/** Throws when called from code left over from a test that has already ended. */
export function assertTestLive(doing: string): void {
  const scope = scopes.getStore();
  if (scope?.ended) throw new StaleTestError(`"${scope.name}" already ended (timed out?); its leftover code tried to ${doing}, which would have leaked into the next test`);
}

/** True inside a test (or its hooks) that has not ended yet. */
export const testIsLive = (): boolean => !scopes.getStore()?.ended;
