/**
 * A migrated, empty PGlite database as a tarball, so a new data folder (and every in-memory
 * database of the tests and the benchmark) starts by unpacking it instead of running initdb and
 * every migration: initdb is most of a first start's time and its memory peak. The tarball is
 * built on first need (or by `npm install` / the Docker build through `node src/db/pglite-template.ts`)
 * and cached under a name made of the PGlite version and the migrations, so a new migration or
 * PGlite upgrade builds a new one and an old one is never used by mistake.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

function templateName(): string {
  const pglite = JSON.parse(readFileSync(join(packageRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
  const migrations = createHash('sha256');
  for (const migration of knownMigrations()) migrations.update(`${migration.when}:${migrationHash(migration.tag)}\n`);
  migrations.update(PGLITE_SETTINGS.join(','));
  return `pglite-${pglite.version}-${migrations.digest('hex').slice(0, 16)}.tar.gz`;
}

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
      for (const old of readdirSync(folder)) if (old.startsWith('pglite-') && old !== name && !old.endsWith('.partial')) rmSync(join(folder, old), { force: true });
      return;
    } catch {
      // Not writable (a read-only image): try the next folder.
    }
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
  process.stdout.write(`PGlite template ready (${templateName()}, ${Math.round(performance.now() - started)} ms)\n`);
}
