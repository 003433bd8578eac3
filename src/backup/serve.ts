/**
 * A backup taken by the running Hearth and streamed to whoever asked (POST /admin/backup, used by
 * `hearth backup` when the running Hearth holds the embedded database, which no second process
 * may open). The file is built in the backup folder, streamed, then deleted: the caller keeps
 * the only copy.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import { createBackup } from './create.ts';
import { backupFileName, backupFolder } from './retention.ts';

export async function backupResponse(database: Database, config: Config): Promise<Response> {
  const file = join(backupFolder(config), `.streamed-${backupFileName('backup', new Date())}`);
  const { bytes } = await createBackup(database, config, file);
  const stream = createReadStream(file);
  const cleanup = () => void rm(file, { force: true });
  stream.once('close', cleanup);
  return new Response(Readable.toWeb(stream) as ReadableStream, {
    headers: { 'content-type': 'application/gzip', 'content-length': String(bytes), 'content-disposition': 'attachment; filename="hearth-backup.tar.gz"' },
  });
}
