/**
 * `hearth restore FILE`: only into an empty place — a data folder without a database, or a
 * PostgreSQL database without tables — so a restore can never overwrite a household's data. The
 * archive is unpacked and every checksum verified first; then the schema is built up to the
 * backup's own migration, the rows loaded in one transaction, the newest migrations applied (the
 * same path an upgrade takes), vector indexes rebuilt for the target driver, and the audit chain
 * verified. A restore that fails leaves the place empty again. The driver need not match: a
 * PGlite backup restores into PostgreSQL and back.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Config } from '../config/types.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { runMigrations } from '../db/migrate.ts';
import { ensureVectorIndex } from '../memory/vector-index.ts';
import { verifyAuditChain, type VerifyResult } from '../audit/verify.ts';
import { readEntry, readManifest, unpackArchive } from './archive.ts';
import { conflictingFiles, copyFiles, hasEmbeddedDatabase, STAGING_PREFIX } from './data-folder.ts';
import { publicTables, SEQUENCES_FILE, type SequencePosition } from './dump.ts';
import { BackupError } from './errors.ts';
import { loadDatabase } from './load.ts';
import { embeddingSpaces, type Manifest } from './manifest.ts';
import { checkRestorable } from './schema-check.ts';

export interface RestoreOptions {
  file: string;
  /** This Hearth's configuration file (it may not exist yet: the backup's copy is put there). */
  configPath: string;
  /** Reads the configuration, after the backup's config file may have been put in place. */
  loadConfig: () => Config;
}

export interface RestoreResult {
  manifest: Manifest;
  driver: string;
  location: string;
  /** Migrations applied after loading, to bring the backup's schema up to this Hearth's. */
  migrated: number;
  audit: VerifyResult;
  /** Where the backup's configuration file was written, when it was. */
  configWritten?: string;
  /** Set when memories were embedded with another model than this Hearth is set to use. */
  embeddingNote?: string;
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const file = resolve(options.file);
  const manifest = await readManifest(file);
  checkRestorable(manifest, file);
  const configWritten = await placeConfigFile(file, manifest, options.configPath);
  let succeeded = false;
  try {
    const config = options.loadConfig();
    const result = await restoreInto(file, config);
    succeeded = true;
    return { ...result, configWritten };
  } finally {
    if (!succeeded && configWritten) await rm(configWritten, { force: true });
  }
}

/**
 * Puts the backup's configuration file where this Hearth looks for one, when there is none yet
 * (moving to a new machine); an existing file is never replaced: the copy goes beside it.
 */
async function placeConfigFile(file: string, manifest: Manifest, configPath: string): Promise<string | undefined> {
  if (!manifest.configFile) return undefined;
  const path = `config/${manifest.configFile}`;
  const text = await readEntry(file, path);
  const expected = manifest.files.find((f) => f.path === path);
  if (text === undefined || !expected || createHash('sha256').update(text).digest('hex') !== expected.sha256) {
    throw new BackupError(`${file} is damaged: ${path} does not match its checksum. Nothing was restored`, 'use another copy of the backup; a damaged file cannot be restored safely');
  }
  if (!existsSync(configPath)) {
    await writeFile(configPath, text);
    return configPath;
  }
  if (readFileSync(configPath, 'utf8') === text) return undefined;
  const beside = `${configPath}.from-backup`;
  if (existsSync(beside)) return undefined; // an earlier restore's copy; leave it
  await writeFile(beside, text);
  return beside;
}

async function restoreInto(file: string, config: Config): Promise<Omit<RestoreResult, 'configWritten'>> {
  const dataDir = resolve(config.dataDir);
  if (!config.databaseUrl && hasEmbeddedDatabase(dataDir)) {
    throw new BackupError(`the data folder ${dataDir} already holds a Hearth database. Restore only goes into an empty place, so nothing is overwritten`, `stop Hearth and move that folder away first (e.g. mv ${dataDir} ${dataDir}.old), or set HEARTH_DATA_DIR to a new folder`);
  }
  await mkdir(dataDir, { recursive: true });
  const staging = await mkdtemp(join(dataDir, STAGING_PREFIX));
  try {
    const manifest = await unpackArchive(file, staging);
    const files = manifest.files.filter((f) => f.path.startsWith('data/')).map((f) => ({ ...f, path: f.path.slice('data/'.length) }));
    const conflicts = await conflictingFiles(files, dataDir);
    if (conflicts.length) {
      throw new BackupError(`the data folder ${dataDir} already has other versions of ${conflicts.join(', ')}. Restore only goes into an empty place, so nothing is overwritten`, 'move those files (or the whole folder) away first, or set HEARTH_DATA_DIR to a new folder');
    }
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir, emptyWhenNew: true });
    try {
      await requireEmpty(database);
    } catch (error) {
      await database.close();
      throw error;
    }
    let restored = false;
    try {
      const sequences = JSON.parse(readFileSync(join(staging, SEQUENCES_FILE), 'utf8')) as SequencePosition[];
      await runMigrations(database, { upTo: manifest.schema.migrations.length });
      await loadDatabase(database, staging, Object.keys(manifest.tables), sequences);
      const { applied: migrated } = await runMigrations(database);
      const spaces = await embeddingSpaces(database);
      for (const space of spaces) await ensureVectorIndex(database, space);
      await copyFiles(files.map((f) => f.path).filter((f) => !existsSync(join(dataDir, f))), join(staging, 'data'), dataDir);
      const audit = await verifyAuditChain(database);
      restored = true;
      return { manifest, driver: database.driver, location: database.location, migrated, audit, embeddingNote: embeddingNote(spaces, config.ollama.embedModel) };
    } finally {
      if (!restored && database.driver === 'postgres') await emptyAgain(database).catch(() => {});
      await database.close();
      // The embedded database was created by this restore (the folder had none): remove it whole.
      if (!restored && database.driver === 'pglite') await rm(join(dataDir, 'pglite'), { recursive: true, force: true });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function requireEmpty(database: Database): Promise<void> {
  const tables = await publicTables(database);
  const [migrated] = await database.rows<{ present: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if (tables.length || migrated?.present) {
    throw new BackupError(
      `the database at ${database.location} already holds Hearth data (${tables.length} tables). Restore only goes into an empty place, so nothing is overwritten`,
      database.driver === 'postgres' ? 'create a new, empty database (createdb hearth_restored) and point DATABASE_URL at it' : 'move the data folder away first, or set HEARTH_DATA_DIR to a new folder',
    );
  }
}

/** After a failed restore: drop what it created, so the next attempt finds an empty place again. */
async function emptyAgain(database: Database): Promise<void> {
  for (const table of await publicTables(database)) await database.rows(sql`drop table if exists ${sql.identifier('public')}.${sql.identifier(table)} cascade`);
  await database.rows(sql`drop schema if exists drizzle cascade`);
}

const withTag = (model: string) => (model.includes(':') ? model : `${model}:latest`);

function embeddingNote(spaces: Array<{ model: string; count: number }>, configured: string): string | undefined {
  const other = spaces.filter((s) => withTag(s.model) !== withTag(configured));
  if (!other.length) return undefined;
  return `${other.map((s) => `${s.count} memories were embedded with ${s.model}`).join('; ')}, but this Hearth is set to ${configured}: run \`hearth memory reindex\` so they are recalled`;
}
