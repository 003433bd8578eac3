/**
 * The embedded database must only ever be opened by one process: two PGlite instances writing
 * the same folder corrupt it. A pid file guards the folder; a stale one (dead pid) is taken over.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataFolderInUseError extends Error {
  override name = 'DataFolderInUseError';
  readonly pid: number;
  constructor(folder: string, pid: number) {
    super(
      `The data folder ${folder} is in use by another Hearth process (pid ${pid}). Only one process can open the embedded database. ` +
        'Fix: stop that process first (or talk to it with its chat platforms), or set DATABASE_URL so several processes can share a PostgreSQL server.',
    );
    this.pid = pid;
  }
}

export function lockDataFolder(folder: string): () => void {
  const file = join(folder, 'hearth.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) throw new DataFolderInUseError(folder, pid);
  }
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
