/**
 * The automatic backup before an upgrade changes the database: when a new Hearth finds migrations
 * to apply on a database that already holds data, it first writes a backup to the backup folder
 * (keeping the newest HEARTH_BACKUP_KEEP_BEFORE_MIGRATION of them) and logs where it is. If the
 * backup cannot be written, nothing is migrated: going back must stay possible.
 */
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import { runMigrations, type MigrationStatus } from '../db/migrate.ts';
import { createBackup } from './create.ts';
import { BackupError } from './errors.ts';
import { backupFileName, backupFolder, keepNewest } from './retention.ts';

/** Hearth's logger, or plain lines on a terminal for the `hearth` commands. */
export interface Log {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export function plainLog(stream: NodeJS.WritableStream = process.stderr): Log {
  const line = (_fields: object, message: string) => void stream.write(`${message}\n`);
  return { info: line, warn: line };
}

/** Every way Hearth migrates a database goes through here, so none skips the backup. */
export function migrateSafely(database: Database, config: Config, log: Log): Promise<{ applied: number }> {
  return runMigrations(database, { beforeApplying: (status) => backupBeforeMigrating(database, config, log, status) });
}

export async function backupBeforeMigrating(database: Database, config: Config, log: Log, status: MigrationStatus): Promise<void> {
  const pending = status.known - status.applied;
  const keep = config.backup.keepBeforeMigration;
  if (!keep) {
    log.warn({ pending }, `applying ${pending} database migration(s) without a backup first (HEARTH_BACKUP_KEEP_BEFORE_MIGRATION=0)`);
    return;
  }
  const folder = backupFolder(config);
  const file = `${folder}/${backupFileName('before-upgrade', new Date())}`;
  let bytes: number;
  try {
    ({ bytes } = await createBackup(database, config, file));
  } catch (error) {
    throw new BackupError(
      `could not back up the database before applying ${pending} migration(s) (${(error as Error).message}). Nothing was changed`,
      `make room or make ${folder} writable (or set HEARTH_BACKUP_DIR to another folder); to migrate without a backup, set HEARTH_BACKUP_KEEP_BEFORE_MIGRATION=0`,
      { cause: error },
    );
  }
  log.info({ backup: file, bytes, pending, schema: `${status.applied}/${status.known}` }, `backed up the database before applying ${pending} migration(s): ${file} (restore it with \`hearth restore ${file}\` to go back)`);
  const removed = await keepNewest(folder, 'before-upgrade', keep);
  if (removed.length) log.info({ removed }, `removed ${removed.length} older automatic backup(s), keeping the newest ${keep}`);
}
