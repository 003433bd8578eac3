/**
 * A migrated, empty PGlite database, so a new database starts as a copy of it instead of running
 * initdb and every migration: initdb is most of a first start's time and its memory peak. Kept
 * twice: as a tarball, which in-memory databases (the tests, the benchmark) unpack, and unpacked
 * as a data folder, which a new data folder copies (unpacking the tarball there took 1.7 s; the
 * copy takes a few hundred ms). Both are built on first need (or by `npm install` / the Docker
 * build through `node src/db/pglite-template.ts`) and cached under a name made of the PGlite
 * version and the migrations, so a new migration or PGlite upgrade builds new ones and an old one
 * is never used by mistake.
 */
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, constants, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownMigrations, migrationHash } from './migrate.ts';

/** PostgreSQL settings for a household-sized database, passed on the command line (see client.ts). */
export const PGLITE_SETTINGS = ['shared_buffers=16MB', 'wal_buffers=1MB', 'work_mem=4MB'];

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** node_modules/.cache/hearth in the checkout or image; the system temp folder when that is read-only. */
function cacheFolders(): string[] {
  return [process.env.HEARTH_TEMPLATE_CACHE, join(packageRoot, 'node_modules', '.cache', 'hearth'), join(tmpdir(), 'hearth-cache')].filter((f): f is string => Boolean(f));
}

let baseName: string | undefined;

/** Computed once per process: it reads PGlite's package.json and hashes every migration. */
function templateBaseName(): string {
  baseName ??= computeBaseName();
  return baseName;
}

function computeBaseName(): string {
  const pglite = JSON.parse(readFileSync(join(packageRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
  const migrations = createHash('sha256');
  for (const migration of knownMigrations()) migrations.update(`${migration.when}:${migrationHash(migration.tag)}\n`);
  migrations.update(PGLITE_SETTINGS.join(','));
  return `pglite-${pglite.version}-${migrations.digest('hex').slice(0, 16)}`;
}

const templateName = () => `${templateBaseName()}.tar.gz`;
const templateFolderName = () => `${templateBaseName()}.data`;

/** The cached template, or undefined when none was built for this PGlite and these migrations. */
export function cachedTemplate(): Blob | undefined {
  const name = templateName();
  for (const folder of cacheFolders()) {
    const file = join(folder, name);
    if (existsSync(file)) return new Blob([readFileSync(file)]);
  }
  return undefined;
}

/** The template, built (initdb + migrations in memory) and cached when missing. */
export async function pgliteTemplate(): Promise<Blob> {
  return cachedTemplate() ?? (await buildTemplate());
}

let building: Promise<Blob> | undefined;

export function buildTemplate(): Promise<Blob> {
  building ??= (async () => {
    const [{ PGlite }, { vector }, { drizzle }, { runMigrations }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-pgvector'),
      import('drizzle-orm/pglite'),
      import('./migrate.ts'),
    ]);
    const client = await PGlite.create({ extensions: { vector }, startParams: pgliteStartParams(PGlite.defaultStartParams) });
    try {
      const db = drizzle(client);
      await runMigrations({ db: db as never, driver: 'pglite', location: 'template', rows: async (query) => (await db.execute(query)).rows as never, close: () => client.close() });
      const tarball = await client.dumpDataDir('gzip');
      save(Buffer.from(await tarball.arrayBuffer()));
      return tarball;
    } finally {
      await client.close();
    }
  })().finally(() => (building = undefined));
  return building;
}

function save(bytes: Buffer): void {
  const name = templateName();
  for (const folder of cacheFolders()) {
    try {
      mkdirSync(folder, { recursive: true });
      // Written aside and renamed, so a concurrent reader never sees half a tarball.
      const partial = join(folder, `${name}.${process.pid}.partial`);
      writeFileSync(partial, bytes);
      renameSync(partial, join(folder, name));
      removeOldTemplates(folder);
      return;
    } catch {
      // Not writable (a read-only image): try the next folder.
    }
  }
}

/** Earlier versions' templates, tarballs and folders, once the current one is in place. */
function removeOldTemplates(folder: string): void {
  const current = [templateName(), templateFolderName()];
  for (const old of readdirSync(folder)) if (old.startsWith('pglite-') && !current.includes(old) && !old.endsWith('.partial')) rmSync(join(folder, old), { recursive: true, force: true });
}

let unpacking: Promise<string | undefined> | undefined;

/** The template unpacked as a data folder, unpacked (once) when missing; undefined when no cache folder is writable. */
function templateFolder(): Promise<string | undefined> {
  const name = templateFolderName();
  for (const folder of cacheFolders()) if (existsSync(join(folder, name, 'PG_VERSION'))) return Promise.resolve(join(folder, name));
  unpacking ??= unpackTemplate(name).finally(() => (unpacking = undefined));
  return unpacking;
}

async function unpackTemplate(name: string): Promise<string | undefined> {
  const tarball = await pgliteTemplate();
  const [{ PGlite }, { vector }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-pgvector')]);
  for (const folder of cacheFolders()) {
    // Test workers may be threads of one process: the pid alone would not keep them apart.
    const partial = join(folder, `${name}.${process.pid}-${randomUUID()}.partial`);
    try {
      mkdirSync(folder, { recursive: true });
      const client = await PGlite.create({ dataDir: partial, extensions: { vector }, startParams: pgliteStartParams(PGlite.defaultStartParams), loadDataDir: tarball });
      await client.close();
      readableByAll(partial);
      // Unpacked aside and renamed, so no one copies half a folder; another process may have won the race.
      if (!existsSync(join(folder, name))) renameSync(partial, join(folder, name));
      rmSync(partial, { recursive: true, force: true });
      removeOldTemplates(folder);
      return join(folder, name);
    } catch {
      rmSync(partial, { recursive: true, force: true });
      // Not writable (a read-only image): try the next folder.
    }
  }
  return undefined;
}

/**
 * PostgreSQL makes its files readable by their owner only; the template is built by whoever ran
 * `npm install` or the Docker build (root there) and copied by whoever runs Hearth (`node` in the
 * image), so everyone may read it. It holds no data, only an empty schema.
 */
function readableByAll(folder: string): void {
  chmodSync(folder, 0o755);
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

/**
 * Makes `dataFolder` (empty, or left by a copy cut short) a copy of the template; false when no
 * template folder could be made or copied, and the caller unpacks the tarball instead.
 */
export async function copyTemplateInto(dataFolder: string): Promise<boolean> {
  const template = await templateFolder();
  if (!template) return false;
  // PG_VERSION last: it is what marks a data folder as made, so a copy cut short is made again.
  const marker = join(template, 'PG_VERSION');
  try {
    // The copies are readable by all like the template, so the folder itself is its owner's alone.
    chmodSync(dataFolder, 0o700);
    cpSync(template, dataFolder, { recursive: true, force: true, mode: constants.COPYFILE_FICLONE, filter: (source) => source !== marker });
    copyFileSync(marker, join(dataFolder, 'PG_VERSION'));
    return true;
  } catch {
    // Unreadable (another user's template, its modes changed): the tarball does it.
    return false;
  }
}

/** PGlite's own start parameters plus Hearth's settings; set this way, they hold in memory too. */
export function pgliteStartParams(defaults: string[]): string[] {
  return [...defaults, ...PGLITE_SETTINGS.flatMap((setting) => ['-c', setting])];
}

// `node src/db/pglite-template.ts` (npm install, the Docker build) builds the template ahead.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  if (!cachedTemplate()) await buildTemplate();
  await templateFolder();
  process.stdout.write(`PGlite template ready (${templateBaseName()}, ${Math.round(performance.now() - started)} ms)\n`);
}
