/**
 * bin/hearth.js installs a resolve hook that reads each package.json once (bin/package-type-cache.js).
 * It must load every kind of package exactly as Node's own resolver does: a program importing
 * packages of each layout prints the same with the hook as without it, errors included.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const hook = fileURLToPath(new URL('../../bin/package-type-cache.js', import.meta.url));

function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A project with packages of every layout the hook must tell apart, and a program using them. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'hearth-resolve-'));
  writeFiles(root, {
    'package.json': JSON.stringify({ type: 'module' }),
    // ES modules with an exports entry per file, as drizzle-orm has.
    'node_modules/esm/package.json': JSON.stringify({ name: 'esm', type: 'module', exports: { '.': './index.js', './sub': './sub/index.js' } }),
    'node_modules/esm/index.js': "import { inner } from './lib/inner.js'; export const esm = 'esm:' + inner;",
    'node_modules/esm/lib/inner.js': "export const inner = typeof require === 'undefined' ? 'module' : 'commonjs';",
    'node_modules/esm/sub/index.js': "import { esm } from 'esm'; export const sub = 'sub+' + esm;",
    // CommonJS below an ESM package, marked by a nested package.json (the dual-package layout).
    'node_modules/dual/package.json': JSON.stringify({ name: 'dual', type: 'module', exports: { import: './esm/index.js', require: './cjs/index.js' } }),
    'node_modules/dual/esm/index.js': "import cjs from '../cjs/index.js'; export const dual = 'dual:' + cjs.kind;",
    'node_modules/dual/cjs/package.json': JSON.stringify({ type: 'commonjs' }),
    'node_modules/dual/cjs/index.js': "module.exports = { kind: typeof module === 'object' ? 'commonjs' : 'module' };",
    // No "type": Node decides from the syntax.
    'node_modules/untyped/package.json': JSON.stringify({ name: 'untyped', main: 'index.js' }),
    'node_modules/untyped/index.js': "export { other } from './other.js'; export const untyped = 'untyped';",
    'node_modules/untyped/other.js': "export const other = 'other';",
    // A package that imports a file it does not have.
    'node_modules/broken/package.json': JSON.stringify({ name: 'broken', type: 'module', main: 'index.js' }),
    'node_modules/broken/index.js': "export * from './missing.js';",
    'main.js': [
      "import { esm } from 'esm';",
      "import { sub } from 'esm/sub';",
      "import { dual } from 'dual';",
      "import { untyped, other } from 'untyped';",
      "import { linked } from 'linked-file';",
      "const broken = await import('broken').then(() => 'loaded', (error) => error.code);",
      'console.log(JSON.stringify({ esm, sub, dual, untyped, other, linked, broken }));',
    ].join('\n'),
  });
  // A file reached through a symlink resolves to its real path, so it is loaded once.
  writeFiles(root, {
    'node_modules/linked-file/package.json': JSON.stringify({ name: 'linked-file', type: 'module', main: 'index.js' }),
    'node_modules/linked-file/index.js': "export { linked } from './alias.js';",
    'shared/real.js': 'export const linked = import.meta.url.endsWith("/shared/real.js") ? "real path" : import.meta.url;',
  });
  symlinkSync(join(root, 'shared/real.js'), join(root, 'node_modules/linked-file/alias.js'));
  writeFileSync(join(root, 'with-hook.js'), `import { cachePackageTypes } from ${JSON.stringify(hook)}; cachePackageTypes(); await import('./main.js');`);
  return root;
}

describe('the package.json cache of bin/hearth.js', () => {
  it('loads ES module, dual, untyped, symlinked and broken packages exactly as Node does', () => {
    const root = project();
    const run = (entry: string) => JSON.parse(execFileSync(process.execPath, [entry], { cwd: root, encoding: 'utf8' }));
    const withoutHook = run('main.js');
    expect(withoutHook).toEqual({
      esm: 'esm:module',
      sub: 'sub+esm:module',
      dual: 'dual:commonjs',
      untyped: 'untyped',
      other: 'other',
      linked: 'real path',
      broken: 'ERR_MODULE_NOT_FOUND',
    });
    expect(run('with-hook.js')).toEqual(withoutHook);
  });
});
