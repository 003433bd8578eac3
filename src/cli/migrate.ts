/** `hearth migrate`: apply migrations now (start does it too) and say where the schema stands. */
import { openDatabase } from '../db/client.ts';
import { migrationStatus } from '../db/migrate.ts';
import { migrateSafely, plainLog } from '../backup/before-migration.ts';
import { bootConfig, reportFatal } from './boot.ts';

export async function runMigrate(configFile: string | undefined): Promise<void> {
  const config = bootConfig(configFile);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }).catch(reportFatal);
  try {
    const { applied } = await migrateSafely(database, config, plainLog());
    const status = await migrationStatus(database);
    process.stdout.write(`${database.driver} at ${database.location}: ${applied ? `applied ${applied} migration(s)` : 'already up to date'}; schema at ${status.applied}/${status.known}.\n`);
  } catch (error) {
    await database.close();
    reportFatal(error);
  }
  await database.close();
}
