// V8 settings for a small box (figures: docs/scaling.md, `npm run bench`). V8 reads them only
// when the process starts (v8.setFlagsFromString later has no effect, and NODE_OPTIONS refuses
// --liftoff-only), so a process that wants them runs itself again with them, in place (same
// process id, signals and output): Hearth (bin/hearth.js) and the benchmark, which measures
// Hearth as it runs. A flag given on the command line already wins: `node
// --max-semi-space-size=16 bin/hearth.js start` keeps 16, `--no-liftoff-only` turns that one off.
export const nodeFlags = [
  // Node 24 lets the young generation grow to 128 MB, which an idle Hearth then keeps resident
  // (heapUsed stays under 60 MB). 2 MB semi-spaces cost no measurable answer time.
  '--max-semi-space-size=2',
  // The embedded database is PostgreSQL compiled to WebAssembly (9 MB). V8's optimizing tier
  // recompiles its hot functions in the background for several seconds after start, peaking
  // near 700 MB and keeping about 60 MB, and that compiling, on a 2-core box, was where the
  // slowest turns lost their time. The baseline compiler alone is what Hearth's queries need
  // (vector distances run about half as fast; they are a small part of a turn).
  '--liftoff-only',
];

const flagName = (flag) => flag.split('=')[0].replace(/^--no-/, '--');

/** Runs this process again with the flags it lacks; returns only when it has them (or cannot). */
export function runWithNodeFlags() {
  const missing = nodeFlags.filter((flag) => !process.execArgv.some((given) => flagName(given) === flagName(flag)));
  // process.execve exists on Linux and macOS (Node 22.15+); elsewhere the process runs without them.
  if (missing.length > 0 && typeof process.execve === 'function' && !process.env.HEARTH_NODE_FLAGS_APPLIED) {
    process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, HEARTH_NODE_FLAGS_APPLIED: '1' });
  }
  delete process.env.HEARTH_NODE_FLAGS_APPLIED;
}
