#!/usr/bin/env node
// `npx hearth …`, `npm start` and the Docker image all start Hearth here. Node 22.18+ runs the
// TypeScript sources directly (type stripping); `npm install` puts Node 24 in node_modules/.bin,
// which npx puts first on PATH.
import { constants, enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cachePackageTypes } from './package-type-cache.js';
import { runWithNodeFlags } from './node-flags.js';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`Hearth needs Node.js 22.18 or newer (this is ${process.version}). Run it through npm (npm start, npx hearth), which uses the Node 24 that npm install provides, or install Node 24.\n`);
  process.exit(1);
}

// V8 settings for a small box: see node-flags.js.
runWithNodeFlags();

// Keeps the compiled sources (about 900 modules, TypeScript stripped) between starts: a restart
// then spends far less time loading code. In node_modules/.cache when writable, else the temp folder.
if (enableCompileCache(fileURLToPath(new URL('../node_modules/.cache/hearth/compile', import.meta.url))).status === constants.compileCacheStatus.FAILED) enableCompileCache();

cachePackageTypes();
await import('../src/cli.ts');
