#!/usr/bin/env node
// `npx hearth …`, `npm start` and the Docker image all start Hearth here. Node 22.18+ runs the
// TypeScript sources directly (type stripping); `npm install` puts Node 24 in node_modules/.bin,
// which npx puts first on PATH.
import { constants, enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cachePackageTypes } from './package-type-cache.js';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`Hearth needs Node.js 22.18 or newer (this is ${process.version}). Run it through npm (npm start, npx hearth), which uses the Node 24 that npm install provides, or install Node 24.\n`);
  process.exit(1);
}

// V8 settings for a small box (figures: docs/scaling.md, `npm run bench`). V8 reads them only
// when the process starts (v8.setFlagsFromString later has no effect, and NODE_OPTIONS refuses
// --liftoff-only), so Hearth runs itself again with them, in place (same process id, signals
// and output). A flag given on the command line already wins: `node --max-semi-space-size=16
// bin/hearth.js start` keeps 16,
// `--no-liftoff-only` turns that one off.
const nodeFlags = [
  // Node 24 lets the young generation grow to 128 MB, which an idle Hearth then keeps resident
  // (heapUsed stays under 60 MB). 2 MB semi-spaces cost no measurable answer time.
  '--max-semi-space-size=2',
  // The embedded database is PostgreSQL compiled to WebAssembly (9 MB). V8's optimizing tier
  // recompiles its hot functions in the background for several seconds after start, peaking
  // near 700 MB and keeping about 60 MB. The baseline compiler alone is what Hearth's queries
  // need (vector distances run about half as fast; they are a small part of a turn).
  '--liftoff-only',
];
const flagName = (flag) => flag.split('=')[0].replace(/^--no-/, '--');
const missing = nodeFlags.filter((flag) => !process.execArgv.some((given) => flagName(given) === flagName(flag)));
// process.execve exists on Linux and macOS (Node 22.15+); elsewhere Hearth runs without them.
if (missing.length > 0 && typeof process.execve === 'function' && !process.env.HEARTH_NODE_FLAGS_APPLIED) {
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, HEARTH_NODE_FLAGS_APPLIED: '1' });
}
delete process.env.HEARTH_NODE_FLAGS_APPLIED;

// Keeps the compiled sources (about 900 modules, TypeScript stripped) between starts: a restart
// then spends far less time loading code. In node_modules/.cache when writable, else the temp folder.
if (enableCompileCache(fileURLToPath(new URL('../node_modules/.cache/hearth/compile', import.meta.url))).status === constants.compileCacheStatus.FAILED) enableCompileCache();

cachePackageTypes();
await import('../src/cli.ts');
