/**
 * Loaded before every test file (vitest.config.ts → setupFiles): each test and its hooks run in
 * a scope of their own, so code left over from a timed-out test cannot act on the next test's
 * stand-ins (see test-scope.ts).
 */
import { aroundEach } from 'vitest';
import { runInTestScope } from './test-scope.ts';

aroundEach(async (runTest, context) => {
  await runInTestScope(context.task.name, context.signal, runTest);
});
