/**
 * How much slower than usual this machine runs the tests, as one factor every wait and timeout
 * is multiplied by. On a 2-core box that other work keeps at a load of 12, a PGlite start that
 * takes 2 s takes 12 s, and fixed 30-second test timeouts fail healthy tests. The factor comes
 * from HEARTH_TEST_TIME_SCALE when set (1 gives the plain timeouts back, to chase a hang), or
 * else from the load average measured when the run starts. It is capped, so a real hang still
 * fails — later, with the same message.
 */
import { availableParallelism, loadavg } from 'node:os';

/** Past this, a machine is too busy for the timings to mean anything; a hang must still end. */
export const MAX_TIME_SCALE = 8;

/** Load the test run itself brings: its two workers keep two cores busy. */
const OWN_LOAD = 2;

export interface TimeScale {
  factor: number;
  /** Why: the env var, or the load that was measured. */
  reason: string;
}

export function measureTimeScale(env: NodeJS.ProcessEnv = process.env): TimeScale {
  const given = env.HEARTH_TEST_TIME_SCALE;
  if (given !== undefined && given !== '') {
    const factor = Number(given);
    if (!Number.isFinite(factor) || factor < 1) throw new Error(`HEARTH_TEST_TIME_SCALE=${given}: expected a number of at least 1, e.g. 3`);
    return { factor: Math.min(factor, MAX_TIME_SCALE), reason: `HEARTH_TEST_TIME_SCALE=${given}` };
  }
  const cores = availableParallelism();
  const load = loadavg()[0] ?? 0;
  // Other work beyond what the cores absorb slows every test by about (load per core).
  const factor = Math.min(MAX_TIME_SCALE, Math.max(1, Math.round(((load + OWN_LOAD) / cores) * 10) / 10));
  return { factor, reason: `load average ${load.toFixed(1)} on ${cores} cores` };
}

/** The factor for this process: vitest.config.ts measures it once and hands it to the workers. */
export const timeScale: number = (() => {
  const factor = Number(process.env.HEARTH_TEST_TIME_SCALE);
  return Number.isFinite(factor) && factor >= 1 ? Math.min(factor, MAX_TIME_SCALE) : 1;
})();

/** A wait or timeout, in milliseconds, with this machine's headroom. */
export const scaled = (ms: number): number => Math.round(ms * timeScale);
