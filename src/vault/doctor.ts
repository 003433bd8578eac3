/**
 * `hearth doctor` on the secret key: where it comes from, that the key file is private, and that
 * every stored password still opens with it (a lost or replaced key is explained, not a crash).
 */
import type { DoctorCheck } from '../core/index.ts';
import type { Database } from '../db/client.ts';
import { Connections } from './connections.ts';
import { keyFileTooOpen, keyFilePath, readSecretKey, type KeySource } from './key.ts';

export async function secretKeyChecks(database: Database, source: KeySource): Promise<DoctorCheck[]> {
  const name = 'secret key';
  let key;
  try {
    key = readSecretKey(source);
  } catch (error) {
    return [{ name, ok: false, detail: (error as Error).message.split('. Fix:')[0]!, fix: (error as { fix?: string }).fix }];
  }
  const store = new Connections(database.db, source);
  let stored = 0;
  let unreadable = 0;
  try {
    stored = await store.count();
    unreadable = await store.unreadable();
  } catch {
    // A database not migrated yet has no connections table.
  }
  const checks: DoctorCheck[] = [];
  if (!key) {
    checks.push(stored ? { name, ok: false, detail: `${stored} connection(s) are stored but ${keyFilePath(source.dataDir)} is missing and HEARTH_SECRET_KEY is not set`, fix: 'restore secret.key from a backup (or set HEARTH_SECRET_KEY to the key you used); without it the passwords are lost: people must /connect again' } : { name, ok: true, detail: `none yet: created in ${keyFilePath(source.dataDir)} when the first calendar or mailbox is connected` });
    return checks;
  }
  checks.push({ name, ok: true, detail: key.from === 'file' ? `${key.path} (encrypts ${stored} connection(s))` : `from HEARTH_SECRET_KEY (encrypts ${stored} connection(s))` });
  if (key.from === 'file' && keyFileTooOpen(source.dataDir)) {
    checks.push({ name: 'secret key file', ok: false, detail: `${key.path} can be read by other users`, fix: `run \`chmod 600 ${key.path}\`` });
  }
  if (unreadable) {
    checks.push({ name: 'stored passwords', ok: false, detail: `${unreadable} of ${stored} cannot be opened with this key (it changed since they were saved)`, fix: 'put the old key back (secret.key from a backup, or the old HEARTH_SECRET_KEY); otherwise those people must /connect again' });
  }
  return checks;
}
