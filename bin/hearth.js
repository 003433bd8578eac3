#!/usr/bin/env node
// `npx hearth …` in a checkout. Node 22.18+ runs the TypeScript sources directly (type stripping);
// `npm install` puts Node 24 in node_modules/.bin, which npx puts first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`Hearth needs Node.js 22.18 or newer (this is ${process.version}). Run it through npm (npm start, npx hearth), which uses the Node 24 that npm install provides, or install Node 24.\n`);
  process.exit(1);
}
await import('../src/cli.ts');
