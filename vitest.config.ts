import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test talks to local stand-ins on 127.0.0.1; a hung one must fail, not stall CI.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite instances are memory-hungry WASM; two workers match the 2-core machines.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
