/**
 * `hearth backup [FILE]` and `hearth restore FILE`. A backup works whether Hearth runs or not:
 * with PostgreSQL, or an embedded database no one holds, this command reads the database itself;
 * when a running Hearth holds the embedded database (only one process may open it), that Hearth
 * takes the backup and streams it here through its admin API (HEARTH_ADMIN_TOKEN), as
 * `hearth people` does. Restore always runs with Hearth stopped, into an empty place.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { defaultConfigPath } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { openDatabase } from '../db/client.ts';
import { DataFolderInUseError } from '../db/data-lock.ts';
import { runningHearthUrl } from '../http/admin-client.ts';
import { readManifest } from '../backup/archive.ts';
import { createBackup } from '../backup/create.ts';
import { hasEmbeddedDatabase } from '../backup/data-folder.ts';
import { BackupError } from '../backup/errors.ts';
import { describeContents, schemaName, type Manifest } from '../backup/manifest.ts';
import { restoreBackup } from '../backup/restore.ts';
import { backupFileName, backupFolder } from '../backup/retention.ts';
import { bootConfig, loadEnvFile, reportFatal } from './boot.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const size = (bytes: number) => (bytes < 1_048_576 ? `${Math.max(1, Math.round(bytes / 1024))} kB` : `${(bytes / 1_048_576).toFixed(1)} MB`);

function printBackup(file: string, bytes: number, manifest: Manifest, via?: string): void {
  say(`Backup written: ${file} (${size(bytes)})${via ? `, taken by the running Hearth at ${via}` : ''}`);
  say(`  ${describeContents(manifest)}`);
  const spaces = manifest.embedding.spaces.map((s) => `${s.model} (${s.count})`).join(', ');
  say(`  schema ${schemaName(manifest)}, Hearth ${manifest.hearthVersion}, ${manifest.driver}${spaces ? `, embeddings: ${spaces}` : ''}`);
  say('  It holds conversations, memories and keys (not .env): keep it somewhere safe. See docs/backups.md.');
}

async function backupHere(config: Config, target: string): Promise<void> {
  if (!config.databaseUrl && !hasEmbeddedDatabase(resolve(config.dataDir))) {
    throw new BackupError(`there is no Hearth database in ${resolve(config.dataDir)}`, 'check HEARTH_DATA_DIR (or --config), or set DATABASE_URL if Hearth uses PostgreSQL');
  }
  let database;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (error) {
    if (!(error instanceof DataFolderInUseError)) throw error;
    return backupThroughRunningHearth(config, error, target);
  }
  try {
    const result = await createBackup(database, config, target);
    printBackup(result.file, result.bytes, result.manifest);
  } finally {
    await database.close();
  }
}

async function backupThroughRunningHearth(config: Config, inUse: DataFolderInUseError, target: string): Promise<void> {
  const token = config.access.adminToken;
  if (!token) throw new BackupError(`${inUse.message.split('. Fix:')[0]}`, 'set HEARTH_ADMIN_TOKEN (the same value for Hearth and for this command) and restart Hearth so it can take the backup while it runs, or stop Hearth and run this again');
  if (existsSync(target)) throw new BackupError(`${target} already exists`, 'give another file name, or move the old file away first');
  const base = runningHearthUrl(config);
  let response: Response;
  try {
    response = await fetch(`${base}/admin/backup`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    throw new BackupError(`the data folder is in use, but no Hearth answered at ${base} (${(error as Error).message})`, "check that HEARTH_HTTP_PORT is the same as the running Hearth's");
  }
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new BackupError(`the running Hearth could not take the backup: ${body.error ?? `HTTP ${response.status}`}`, 'see its log for details');
  }
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const partial = `${target}.partial`;
  try {
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(partial, { mode: 0o600 }));
    const expected = Number(response.headers.get('content-length'));
    const { size } = await stat(partial);
    if (expected && size !== expected) throw new BackupError(`the backup stopped after ${size} of ${expected} bytes`, 'run `hearth backup` again');
    await rename(partial, target);
  } finally {
    await rm(partial, { force: true });
  }
  printBackup(target, (await stat(target)).size, await readManifest(target), base);
}

async function restoreCommand(file: string, configOption: string | undefined): Promise<void> {
  loadEnvFile();
  const configPath = resolve(configOption ?? defaultConfigPath());
  const result = await restoreBackup({ file, configPath, loadConfig: () => bootConfig(configOption) });
  const { manifest } = result;
  say(`Restored ${resolve(file)} (made ${manifest.createdAt} by Hearth ${manifest.hearthVersion} on ${manifest.driver}) into ${result.driver} at ${result.location}`);
  say(`  ${describeContents(manifest)}`);
  say(`  schema ${schemaName(manifest)}${result.migrated ? `, brought up to date with ${result.migrated} migration(s)` : ", this Hearth's schema"}`);
  if (result.audit.ok) say(`  ✓ audit chain intact: ${result.audit.records} records`);
  else {
    say(`  ✗ audit chain broken: ${result.audit.problems.map((p) => `record #${p.id} ${p.problem}`).join('; ')}`);
    process.exitCode = 1;
  }
  if (result.configWritten === configPath) say(`  configuration file written to ${configPath}`);
  else if (result.configWritten) say(`  your configuration file was kept; the backup's copy is beside it: ${result.configWritten}`);
  if (result.embeddingNote) say(`  note: ${result.embeddingNote}`);
  say('  Not in any backup: .env (tokens, DATABASE_URL, HEARTH_ADMIN_TOKEN). Copy it from the old machine or set those again, then start Hearth.');
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup [file]')
    .description('write one file with the database, the configuration file and the keys in the data folder (default: a new file in the backup folder); works while Hearth runs')
    .action(async (file: string | undefined, _options, command: Command) => {
      const config = bootConfig(command.optsWithGlobals<{ config?: string }>().config);
      const target = resolve(file ?? join(backupFolder(config), backupFileName('backup', new Date())));
      await backupHere(config, target).catch(reportFatal);
    });
  program
    .command('restore <file>')
    .description('restore a backup into an empty data folder or database (Hearth stopped), then bring it up to this version')
    .action(async (file: string, _options, command: Command) => {
      await restoreCommand(file, command.optsWithGlobals<{ config?: string }>().config).catch(reportFatal);
    });
}
