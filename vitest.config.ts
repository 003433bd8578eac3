import { defineConfig } from 'vitest/config';
import { measureTimeScale } from './test/helpers/time-scale.ts';

// Measured once here, in the main process, and inherited by the workers (test/helpers/time-scale.ts).
const scale = measureTimeScale();
process.env.HEARTH_TEST_TIME_SCALE = String(scale.factor);
process.env.HEARTH_TEST_TIME_SCALE_REASON = scale.reason;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Probes PostgreSQL (and later other outside requirements) once, and says what is missing.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Each test in a scope of its own: a timed-out test's leftovers cannot reach the next test.
    setupFiles: ['test/helpers/setup-each.ts'],
    // Every test talks to local stand-ins on 127.0.0.1; a hung one must fail, not stall CI.
    // On a busy machine the limits stretch with the measured slowdown (capped).
    testTimeout: Math.round(30_000 * scale.factor),
    hookTimeout: Math.round(60_000 * scale.factor),
    // PGlite instances are memory-hungry WASM; two workers match the 2-core machines.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
