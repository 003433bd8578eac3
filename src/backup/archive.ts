/**
 * The backup file itself: a gzip-compressed tar (inspect it with `tar tzf`), manifest first. It is
 * written beside its final name and renamed into place only when complete, so a crash or a full
 * disk never leaves a half backup under a good name; it is readable by its owner only, since it
 * holds keys. Reading it back refuses links and paths outside the folder (node-tar's defaults),
 * and checks every file against the manifest's SHA-256 before anything is restored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { create, extract, list } from 'tar';
import { BackupError } from './errors.ts';
import { sha256 } from './data-folder.ts';
import { MANIFEST, parseManifest, type BackupFile, type Manifest } from './manifest.ts';

/** Checksums of staged files, for the manifest. */
export async function describeFiles(folder: string, paths: string[]): Promise<BackupFile[]> {
  const files: BackupFile[] = [];
  for (const path of paths) {
    const full = join(folder, path);
    files.push({ path, bytes: (await stat(full)).size, sha256: await sha256(full) });
  }
  return files;
}

export async function writeArchive(folder: string, file: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(folder, MANIFEST), 'utf8')) as Manifest;
  const partial = `${file}.partial`;
  try {
    await create({ gzip: true, cwd: folder, file: partial, portable: true }, [MANIFEST, ...manifest.files.map((f) => f.path)]);
    await chmod(partial, 0o600);
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

const damaged = (file: string, error: unknown) =>
  new BackupError(`${file} is damaged or is not a Hearth backup (${(error as Error).message})`, 'use another copy of the backup; a damaged file cannot be restored safely', { cause: error });

/** One file of the archive as text, without unpacking the rest; undefined when absent. */
export async function readEntry(file: string, path: string): Promise<string | undefined> {
  if (!existsSync(file)) throw new BackupError(`there is no file ${file}`, 'give the path of a file written by `hearth backup`');
  let text: string | undefined;
  try {
    await list({
      file,
      strict: true,
      filter: (name) => name === path,
      onReadEntry: (entry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => (text = Buffer.concat(chunks).toString('utf8')));
      },
    });
  } catch (error) {
    throw damaged(file, error);
  }
  return text;
}

/** Only the manifest, without unpacking the rest. */
export async function readManifest(file: string): Promise<Manifest> {
  const text = await readEntry(file, MANIFEST);
  if (text === undefined) throw new BackupError(`${file} is not a Hearth backup (it has no manifest)`, 'give the file that `hearth backup` wrote');
  return parseManifest(text, file);
}

/** Unpacks into `folder` and verifies every file against the manifest; returns the manifest. */
export async function unpackArchive(file: string, folder: string): Promise<Manifest> {
  const manifest = await readManifest(file);
  try {
    await extract({ file, cwd: folder, strict: true, filter: (_path, entry) => 'type' in entry && (entry.type === 'File' || entry.type === 'Directory') });
  } catch (error) {
    throw damaged(file, error);
  }
  const problems: string[] = [];
  for (const expected of manifest.files) {
    const path = join(folder, expected.path);
    if (!existsSync(path)) problems.push(`${expected.path} is missing`);
    else if ((await sha256(path)) !== expected.sha256) problems.push(`${expected.path} does not match its checksum`);
  }
  if (problems.length) {
    throw new BackupError(`${file} is damaged: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` and ${problems.length - 5} more` : ''}. Nothing was restored`, 'use another copy of the backup; a damaged file cannot be restored safely');
  }
  return manifest;
}
