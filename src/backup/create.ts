/**
 * `hearth backup`: one file with everything Hearth owns — the database as data, the
 * configuration file (never secrets: they live in the environment or .env, which is not
 * included), the data folder's own files (encryption stores, key files; see data-folder.ts) and
 * the manifest with checksums. Works on a database Hearth is using: the dump reads one snapshot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { Config } from '../config/types.ts';
import { settings } from '../config/settings.ts';
import type { Database } from '../db/client.ts';
import { appliedMigrations } from '../db/migrate.ts';
import { describeFiles, writeArchive } from './archive.ts';
import { copyFiles, dataFiles, STAGING_PREFIX } from './data-folder.ts';
import { dumpDatabase, SEQUENCES_FILE, tableFile } from './dump.ts';
import { BackupError } from './errors.ts';
import { embeddingSpaces, FORMAT, hearthVersion, MANIFEST, type Manifest } from './manifest.ts';
import { backupFolder } from './retention.ts';

export interface BackupResult {
  file: string;
  bytes: number;
  manifest: Manifest;
}

export async function createBackup(database: Database, config: Config, file: string, now = new Date()): Promise<BackupResult> {
  const target = resolve(file);
  if (existsSync(target)) throw new BackupError(`${target} already exists`, 'give another file name, or move the old file away first');
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(dirname(target), STAGING_PREFIX));
  try {
    await mkdir(join(staging, 'database'));
    const dump = await dumpDatabase(database, staging);
    await writeFile(join(staging, SEQUENCES_FILE), JSON.stringify(dump.sequences, null, 1));
    const paths = [...Object.keys(dump.tables).map(tableFile), SEQUENCES_FILE];

    const configFile = config.configFile && existsSync(config.configFile) ? basename(config.configFile) : undefined;
    if (configFile) {
      await mkdir(join(staging, 'config'));
      await writeFile(join(staging, 'config', configFile), withoutSecrets(readFileSync(config.configFile!, 'utf8')));
      paths.push(`config/${configFile}`);
    }

    const files = await dataFiles({ dataDir: config.dataDir, backupDir: backupFolder(config) });
    await copyFiles(files, resolve(config.dataDir), join(staging, 'data'));
    paths.push(...files.map((f) => `data/${f}`));

    const manifest: Manifest = {
      format: FORMAT,
      createdAt: now.toISOString(),
      hearthVersion: hearthVersion(),
      driver: database.driver,
      schema: { migrations: await appliedMigrations(database) },
      embedding: { configuredModel: config.ollama.embedModel, spaces: await embeddingSpaces(database) },
      tables: dump.tables,
      configFile,
      files: await describeFiles(staging, paths),
    };
    await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 1));
    await writeArchive(staging, target);
    return { file: target, bytes: (await stat(target)).size, manifest };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The config file as written, comments and all, minus any secret key. Hearth refuses to start
 * with a secret in the file, so this only matters for a file someone edited after starting.
 */
function withoutSecrets(text: string): string {
  const document = parseDocument(text);
  let removed = false;
  for (const setting of settings.filter((s) => s.secret)) {
    const path = setting.path.split('.');
    if (document.hasIn(path)) {
      document.deleteIn(path);
      removed = true;
    }
  }
  return removed ? document.toString() : text;
}
