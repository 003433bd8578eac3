/**
 * Daily backups, when HEARTH_BACKUP_DAILY is on: a backup is due when the newest daily one is a
 * day old (or there is none), so a Hearth that was stopped overnight catches up at its next start
 * instead of waiting for a fixed hour. The newest HEARTH_BACKUP_KEEP_DAILY are kept. The clock is
 * injected so tests can move a day without waiting one.
 */
import { join } from 'node:path';
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import type { Log } from './before-migration.ts';
import { createBackup } from './create.ts';
import { backupFileName, backupFolder, backupsOfKind, keepNewest } from './retention.ts';

export const DAY_MS = 86_400_000;

export interface DailyBackupsOptions {
  database: Database;
  config: Config;
  log: Log;
  now?: () => Date;
}

export class DailyBackups {
  private readonly options: DailyBackupsOptions;
  private readonly now: () => Date;

  constructor(options: DailyBackupsOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  async due(): Promise<boolean> {
    const newest = (await backupsOfKind(backupFolder(this.options.config), 'daily')).at(-1);
    return !newest || this.now().getTime() - newest.at.getTime() >= DAY_MS;
  }

  /** Takes the daily backup if one is due; returns its file, or undefined when none was due. */
  async runIfDue(): Promise<string | undefined> {
    if (!(await this.due())) return undefined;
    const { config, database, log } = this.options;
    const folder = backupFolder(config);
    const file = join(folder, backupFileName('daily', this.now()));
    const { bytes } = await createBackup(database, config, file, this.now());
    const removed = await keepNewest(folder, 'daily', config.backup.keepDaily);
    log.info({ backup: file, bytes, removed }, `daily backup written: ${file}`);
    return file;
  }
}
