/**
 * Daily backups as a gateway feature: an hourly check on the gateway's own timer (`deps.every`,
 * which never runs it twice at once and waits for it at stop, so the database is never closed
 * under a backup), asking DailyBackups whether one is due by the gateway's clock. The first check
 * runs at start, so a Hearth stopped overnight catches up. Off unless HEARTH_BACKUP_DAILY is true.
 */
import type { FeatureFactory } from '../pipeline/feature.ts';
import { DailyBackups } from './daily.ts';

const CHECK_EVERY_MS = 3_600_000;

export const backupFeature: FeatureFactory = (deps) => {
  if (!deps.config.backup.daily) return { name: 'backup' };
  const daily = new DailyBackups({ database: deps.database, config: deps.config, log: deps.log, now: () => deps.clock.now() });
  return {
    name: 'backup',
    async start() {
      deps.every(
        'daily backup',
        CHECK_EVERY_MS,
        async () => {
          await daily.runIfDue().catch((error: unknown) => deps.log.warn({ err: error }, `the daily backup failed: ${(error as Error).message}; will try again within the hour`));
        },
        { immediately: true },
      );
    },
  };
};
