/**
 * `hearth doctor`'s look at encryption: with encryption on, the crypto state (device, keys on
 * the homeserver, backup, messages it cannot decrypt); with it off, which joined rooms Hearth
 * cannot read (one state lookup per room; households have a handful). Never starts to sync.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Method, type MatrixClient } from 'matrix-js-sdk';
import type { DoctorCheck } from '../../src/core/index.ts';
import { RECOVERY_KEY_FILE, STATUS_FILE, type CryptoStatus } from './crypto-setup.ts';
import { toPlatformError } from './errors.ts';
import { PlatformRejectedError } from '../../src/core/index.ts';

const MAX_ROOMS_CHECKED = 100;

export async function checkEncryptedRooms(client: MatrixClient, knownFromSync: Array<{ roomId: string; title?: string }>): Promise<DoctorCheck> {
  const encrypted = new Map(knownFromSync.map((r) => [r.roomId, r.title]));
  try {
    const { joined_rooms: joined } = await client.getJoinedRooms();
    for (const roomId of joined.slice(0, MAX_ROOMS_CHECKED)) {
      if (encrypted.has(roomId)) continue;
      try {
        const content = await client.getStateEvent(roomId, 'm.room.encryption', '');
        if (content && typeof content === 'object' && 'algorithm' in content) encrypted.set(roomId, undefined);
      } catch (raw) {
        if (!(toPlatformError(raw, 'room encryption state') instanceof PlatformRejectedError)) throw raw; // 404: not encrypted
      }
    }
  } catch (raw) {
    return { name: 'matrix encrypted rooms', ok: false, detail: `could not list rooms: ${toPlatformError(raw, 'joined rooms').message}`, fix: 'retry when the homeserver is reachable' };
  }
  if (encrypted.size === 0) return { name: 'matrix encrypted rooms', ok: true, detail: 'no end-to-end encrypted rooms: Hearth can read every room it is in' };
  const names = [...encrypted].map(([roomId, title]) => (title ? `${title} (${roomId})` : roomId)).join(', ');
  return {
    name: 'matrix encrypted rooms',
    ok: false,
    detail: `end-to-end encryption is off (MATRIX_ENCRYPTION=false); Hearth will not answer in: ${names}`,
    fix: 'turn encryption on (MATRIX_ENCRYPTION=true, the default), or talk to Hearth in a room created without encryption',
  };
}

/**
 * `hearth doctor`'s look at end-to-end encryption, without opening the crypto store (Hearth
 * may be running): the status file the adapter keeps (crypto-setup.ts), checked against what
 * the homeserver has (this device's published keys, the current key backup).
 */
export async function checkCrypto(client: MatrixClient, where: { userId: string; deviceId: string | undefined; dir: string }): Promise<DoctorCheck[]> {
  const file = join(where.dir, STATUS_FILE);
  let status: CryptoStatus | undefined;
  try {
    status = JSON.parse(await readFile(file, 'utf8')) as CryptoStatus;
  } catch {
    status = undefined;
  }
  if (!status || status.deviceId !== where.deviceId) {
    return [{
      name: 'matrix encryption',
      ok: false,
      detail: status ? `the crypto store is for device ${status.deviceId}, but MATRIX_ACCESS_TOKEN belongs to device ${where.deviceId ?? '(none)'}` : `no crypto store yet in ${where.dir}`,
      fix: status ? 'a new access token means a new device: start Hearth once to set it up, then restore old keys with the recovery key (docs/matrix.md)' : 'start Hearth once (`hearth start`); it creates its device keys on the first connection',
    }];
  }
  const checks: DoctorCheck[] = [];
  try {
    const published = await client.http.authedRequest<{ device_keys?: Record<string, Record<string, { keys?: Record<string, string> }>> }>(Method.Post, '/keys/query', undefined, { device_keys: { [where.userId]: [status.deviceId] } });
    const key = published.device_keys?.[where.userId]?.[status.deviceId]?.keys?.[`ed25519:${status.deviceId}`];
    checks.push(
      key === status.fingerprint
        ? { name: 'matrix encryption', ok: true, detail: `device ${status.deviceId}, keys uploaded (fingerprint ${status.fingerprint}); cross-signing ${status.crossSigning ? 'on' : 'off'}; ${status.verifiedDevicesOnly ? 'verified devices only' : 'encrypting to all members\' devices'}` }
        : { name: 'matrix encryption', ok: false, detail: key ? `the homeserver has other keys for device ${status.deviceId} than Hearth's crypto store` : `device ${status.deviceId} has no keys on the homeserver yet`, fix: key ? 'the crypto store was replaced or lost: log in again for a new device (new MATRIX_ACCESS_TOKEN), see docs/matrix.md' : 'start Hearth; it uploads its keys on the first sync' },
    );
  } catch (raw) {
    checks.push({ name: 'matrix encryption', ok: false, detail: `could not read the published keys: ${toPlatformError(raw, 'keys query').message}`, fix: 'retry when the homeserver is reachable' });
  }
  let backup: string | undefined;
  try {
    backup = (await client.http.authedRequest<{ version?: string }>(Method.Get, '/room_keys/version')).version;
  } catch {
    backup = undefined;
  }
  checks.push(
    backup && backup === status.backupVersion
      ? { name: 'matrix key backup', ok: true, detail: `on (backup version ${backup})` }
      : { name: 'matrix key backup', ok: false, detail: backup ? `the homeserver's backup (version ${backup}) is not Hearth's (${status.backupVersion ?? 'none'})` : 'off: a lost data folder would lose the room keys', fix: 'start Hearth; it sets up the backup on its first run (see the log for the recovery key file)' },
  );
  try {
    await access(join(where.dir, RECOVERY_KEY_FILE));
    checks.push({ name: 'matrix recovery key', ok: false, detail: `the recovery key is still in ${join(where.dir, RECOVERY_KEY_FILE)}`, fix: 'copy the key into a password manager, then delete the file' });
  } catch {
    /* stored away: nothing to say */
  }
  const waiting = status.undecryptable ?? [];
  checks.push(
    waiting.length === 0
      ? { name: 'matrix undecryptable messages', ok: true, detail: 'none: every encrypted message was decrypted' }
      : {
          name: 'matrix undecryptable messages',
          ok: false,
          detail: `waiting for room keys in ${waiting.map((r) => `${r.roomId} (${r.count})`).join(', ')}`,
          fix: 'ask the sender to verify Hearth in Element (docs/matrix.md) and send the message again',
        },
  );
  return checks;
}
