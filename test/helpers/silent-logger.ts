import type { Logger } from '../../src/core/index.ts';

const noop = () => {};
/** A logger for tests that keeps output clean; set HEARTH_TEST_LOG=1 to see adapter logs. */
export const silentLogger: Logger = process.env.HEARTH_TEST_LOG
  ? {
      trace: noop,
      debug: console.debug,
      info: console.info,
      warn: console.warn,
      error: console.error,
      child: () => silentLogger,
    }
  : { trace: noop, debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };
