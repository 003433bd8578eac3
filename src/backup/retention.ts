/**
 * Where backups go and how many are kept. Automatic backups are named by kind and UTC time
 * (hearth-daily-2026-05-01T03-30-00.000Z.tar.gz), so the newest sorts last and retention only
 * ever deletes files of its own kind: a backup someone made by hand is never removed.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/types.ts';

export type BackupKind = 'backup' | 'before-upgrade' | 'daily';

export function backupFolder(config: Pick<Config, 'dataDir' | 'backup'>): string {
  return resolve(config.backup?.dir ?? join(config.dataDir, 'backups'));
}

const stamp = (at: Date) => at.toISOString().replace(/:/g, '-');

export function backupFileName(kind: BackupKind, at: Date): string {
  return `hearth-${kind}-${stamp(at)}.tar.gz`;
}

const pattern = (kind: BackupKind) => new RegExp(`^hearth-${kind}-(\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}Z)\\.tar\\.gz$`);

/** Backups of one kind in the folder, oldest first, with the time in their name. */
export async function backupsOfKind(folder: string, kind: BackupKind): Promise<Array<{ file: string; at: Date }>> {
  if (!existsSync(folder)) return [];
  const match = pattern(kind);
  return (await readdir(folder))
    .flatMap((name) => {
      const time = match.exec(name)?.[1];
      if (!time) return [];
      const [date, clock] = time.split('T') as [string, string];
      return [{ file: join(folder, name), at: new Date(`${date}T${clock.replace(/-/g, ':')}`) }];
    })
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Deletes all but the newest `keep` backups of this kind; returns the deleted files. */
export async function keepNewest(folder: string, kind: BackupKind, keep: number): Promise<string[]> {
  const all = await backupsOfKind(folder, kind);
  const old = all.slice(0, Math.max(0, all.length - keep)).map((b) => b.file);
  for (const file of old) await rm(file, { force: true });
  return old;
}
