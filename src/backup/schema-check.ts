/**
 * Whether this Hearth can restore a backup's schema. A backup is restored at its own migration
 * and then brought up to date by the normal migrations, so its migrations must be the first ones
 * this Hearth knows; one made by a newer Hearth (migrations this version has never seen) is
 * refused before anything is touched, just as an older Hearth refuses a newer database.
 */
import { knownMigrations } from '../db/migrate.ts';
import { BackupError } from './errors.ts';
import { hearthVersion, schemaName, type Manifest } from './manifest.ts';

export function checkRestorable(manifest: Manifest, file: string): void {
  const known = knownMigrations();
  const newestKnown = known.at(-1)?.when ?? 0;
  const theirs = manifest.schema.migrations;
  const newer = theirs.filter((m) => m.when > newestKnown);
  if (newer.length || theirs.length > known.length) {
    throw new BackupError(
      `${file} was made by a newer Hearth (version ${manifest.hearthVersion}, schema ${schemaName(manifest)}, ${theirs.length} migrations); this Hearth (version ${hearthVersion()}) knows ${known.length} migrations. Nothing was restored`,
      `install Hearth ${manifest.hearthVersion} or newer and restore with it`,
    );
  }
  const mismatch = theirs.findIndex((m, i) => known[i]?.when !== m.when);
  if (mismatch >= 0) {
    throw new BackupError(
      `${file} has a schema this Hearth does not recognize (migration ${mismatch + 1} of the backup, ${theirs[mismatch]?.tag ?? 'unnamed'}, is not this Hearth's migration ${known[mismatch]?.tag ?? '(none)'}). Nothing was restored`,
      `restore it with the Hearth version that made it (${manifest.hearthVersion})`,
    );
  }
}
