// Node's ES module resolver reads the nearest package.json for every `.js` file it loads, to learn
// whether `.js` means an ES module there, and parses the whole file again each time, its
// "exports" included; a bare import (`from 'drizzle-orm'`) is resolved afresh for every file that
// writes it. drizzle-orm's package.json is 179 KB, an exports entry per file: loading its
// hundred-odd modules and Hearth's forty-odd imports of it spent about 1 s parsing that file, plus
// the garbage collection that followed, a third of Hearth's start. This resolve hook reads each
// package.json once: it answers relative imports of `.js` files itself, and remembers how a bare
// import resolved for the package that wrote it. Anything else goes to Node's resolver as before.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Folder → the package that governs it: its folder and its "type". Without a "type", Node looks at
 * a file's syntax to decide, so such files stay with Node's resolver.
 */
const packageOfFolder = new Map();

function packageOf(folder) {
  if (packageOfFolder.has(folder)) return packageOfFolder.get(folder);
  let found;
  const manifest = join(folder, 'package.json');
  if (existsSync(manifest)) {
    let type;
    try {
      type = JSON.parse(readFileSync(manifest, 'utf8')).type;
    } catch {
      // Unreadable: Node's resolver says what is wrong with it.
    }
    found = { folder, type };
  } else {
    const parent = dirname(folder);
    found = parent === folder ? { folder: undefined, type: undefined } : packageOf(parent);
  }
  packageOfFolder.set(folder, found);
  return found;
}

const isRelative = (specifier) => specifier.startsWith('./') || specifier.startsWith('../');
const isBare = (specifier) => /^[@a-z0-9_]/i.test(specifier) && !specifier.includes(':');

function resolveRelativeJs(specifier, parentURL) {
  if (!isRelative(specifier) || !specifier.endsWith('.js') || !parentURL.includes('/node_modules/')) return undefined;
  let path;
  try {
    // As Node does: the real path (symlinks followed); a missing file is Node's to report.
    path = realpathSync.native(fileURLToPath(new URL(specifier, parentURL)));
  } catch {
    return undefined;
  }
  const { type } = packageOf(dirname(path));
  if (type !== 'module' && type !== 'commonjs') return undefined;
  return { url: pathToFileURL(path).href, format: type, shortCircuit: true };
}

/**
 * A bare import resolves the same from every file of one package (Node searches the node_modules
 * folders above it, which begin at the package's own), so it is resolved once per package.
 */
const bareResolutions = new Map();

function resolveBare(specifier, context, nextResolve) {
  const { folder } = packageOf(dirname(fileURLToPath(context.parentURL)));
  if (!folder) return nextResolve(specifier, context);
  const key = `${folder}\0${specifier}\0${context.conditions?.join(',')}\0${JSON.stringify(context.importAttributes ?? {})}`;
  const known = bareResolutions.get(key);
  if (known) return { ...known, shortCircuit: true };
  const resolved = nextResolve(specifier, context);
  bareResolutions.set(key, resolved);
  return resolved;
}

function resolve(specifier, context, nextResolve) {
  if (!context.parentURL?.startsWith('file:')) return nextResolve(specifier, context);
  if (isBare(specifier)) return resolveBare(specifier, context, nextResolve);
  return resolveRelativeJs(specifier, context.parentURL) ?? nextResolve(specifier, context);
}

/** Installs the hook (Node 22.15 and newer; older ones resolve as before). */
export function cachePackageTypes() {
  if (typeof registerHooks === 'function') registerHooks({ resolve });
}
