/**
 * Which files of the data folder (HEARTH_DATA_DIR) a backup carries. Everything Hearth and its
 * features keep there — the Matrix encryption store, the key that encrypts per-person
 * credentials, MCP servers' state — is copied as is, so a feature that adds a file is backed up
 * without registering anything. Only what is listed in `notCopied` stays out, each for a reason.
 * A restore writes the files back with their permissions (keys stay 0600).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, lstatSync } from 'node:fs';
import { copyFile, chmod, mkdir, readdir, lstat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const notCopied: Array<{ path: string; why: string }> = [
  { path: 'pglite', why: 'the embedded database: saved as data (database/ in the backup), which restores on either driver' },
  { path: 'backups', why: 'the backups themselves' },
  { path: 'hearth.pid', why: "the running Hearth's lock on the folder" },
];

/** Working folders of a backup or restore in progress. */
export const STAGING_PREFIX = '.hearth-staging-';

export interface DataFolderOptions {
  dataDir: string;
  /** The backup folder; left out too when it lies inside the data folder. */
  backupDir: string;
}

function excluded(options: DataFolderOptions): (path: string) => boolean {
  const backupInside = relative(resolve(options.dataDir), resolve(options.backupDir));
  const skip = new Set(notCopied.map((n) => n.path));
  if (backupInside && !backupInside.startsWith('..') && !backupInside.startsWith(sep)) skip.add(backupInside.split(sep).join('/'));
  return (path) => path.startsWith(STAGING_PREFIX) || [...skip].some((s) => path === s || path.startsWith(`${s}/`));
}

/** Regular files under the data folder that go into a backup, as relative paths with '/'. */
export async function dataFiles(options: DataFolderOptions): Promise<string[]> {
  const root = resolve(options.dataDir);
  if (!existsSync(root)) return [];
  const skip = excluded(options);
  const found: string[] = [];
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const rel = relative(root, path).split(sep).join('/');
      if (skip(rel)) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) found.push(rel);
      // Symlinks, sockets and pipes are not Hearth's data; a restore could not recreate them safely.
    }
  };
  await walk(root);
  return found.sort();
}

/** Copies files between folders, keeping permission bits (a key file stays readable by its owner only). */
export async function copyFiles(files: string[], from: string, to: string): Promise<void> {
  for (const file of files) {
    const source = join(from, file);
    const target = join(to, file);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await copyFile(source, target);
    await chmod(target, (await lstat(source)).mode & 0o777);
  }
}

export function sha256(file: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => done(hash.digest('hex')))
      .on('error', fail);
  });
}

/** Files a restore would write that already exist with other content: restoring must not overwrite them. */
export async function conflictingFiles(files: Array<{ path: string; sha256: string }>, dataDir: string): Promise<string[]> {
  const conflicts: string[] = [];
  for (const file of files) {
    const target = join(dataDir, file.path);
    if (existsSync(target) && (!lstatSync(target).isFile() || (await sha256(target)) !== file.sha256)) conflicts.push(file.path);
  }
  return conflicts;
}

/** True when the embedded database folder holds a database. */
export function hasEmbeddedDatabase(dataDir: string): boolean {
  const folder = join(dataDir, 'pglite');
  return existsSync(folder) && readdirSync(folder).some((name) => name !== 'hearth.pid');
}
