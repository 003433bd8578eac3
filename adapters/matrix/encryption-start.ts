/**
 * Switching end-to-end encryption on for a started adapter, once the homeserver said which device
 * the access token belongs to: the crypto machine on its persisted store, room state mirrored into
 * it, the undecryptable-message tracker wired to the sync loop and the outgoing notices, and the
 * status file `hearth doctor` reads kept current.
 */
import type { MatrixClient } from 'matrix-js-sdk';
import { PlatformConfigError, PlatformRejectedError, type AdapterContext, type Logger } from '../../src/core/index.ts';
import { MatrixCrypto } from './crypto.ts';
import { cryptoStatus, writeStatus } from './crypto-setup.ts';
import { PLATFORM, toPlatformError } from './errors.ts';
import type { Outgoing } from './outgoing.ts';
import type { RoomDirectory } from './rooms.ts';
import { UNDECRYPTABLE_NOTICE, UndecryptableEvents } from './undecryptable.ts';
import type { RawEvent } from './wire.ts';

export interface EncryptionStartDeps {
  client: MatrixClient;
  context: AdapterContext;
  log: Logger;
  directory: RoomDirectory;
  outgoing: Outgoing;
  dir: string;
  userId: string;
  verifiedDevicesOnly: boolean;
  undecryptableTimeoutMs: number;
  /** Hands a late-decrypted event to the sync loop's normal path. */
  deliver(roomId: string, event: RawEvent): Promise<void>;
  /** True once the adapter is stopping (the machine is about to close). */
  stopping(): boolean;
}

export interface Encryption {
  crypto: MatrixCrypto;
  undecryptable: UndecryptableEvents;
  saveStatus(): Promise<void>;
}

export async function startEncryption(deps: EncryptionStartDeps, deviceId: string | undefined): Promise<Encryption> {
  const { client, context, log, directory, outgoing } = deps;
  if (!deviceId) {
    throw new PlatformConfigError(PLATFORM, 'the access token has no device, so end-to-end encryption cannot work', 'log in as the bot with a device (see docs/matrix.md) and use that access token, or set MATRIX_ENCRYPTION=false');
  }
  client.deviceId = deviceId;
  const crypto = await MatrixCrypto.start({ client, log, state: context.state, dir: deps.dir, userId: deps.userId, deviceId, verifiedDevicesOnly: deps.verifiedDevicesOnly });
  directory.onState = (roomId, events) => crypto.applyState(roomId, events);
  let undecryptable: UndecryptableEvents | undefined;
  const saveStatus = async () => {
    if (!undecryptable || deps.stopping()) return;
    try {
      await writeStatus(deps.dir, await cryptoStatus(crypto, { userId: deps.userId, verifiedDevicesOnly: deps.verifiedDevicesOnly, undecryptable: undecryptable.rooms() }));
    } catch (error) {
      log.warn({ err: String(error) }, 'matrix: could not write the crypto status file');
    }
  };
  undecryptable = new UndecryptableEvents({
    state: context.state,
    log,
    audit: (event) => context.audit(event),
    timeoutMs: deps.undecryptableTimeoutMs,
    deliver: (roomId, event) => deps.deliver(roomId, event),
    notify: (roomId, eventId) => outgoing.notice(roomId, UNDECRYPTABLE_NOTICE, eventId),
    changed: () => void saveStatus(),
    refetch: async (roomId, eventId) => {
      try {
        const raw = await client.fetchRoomEvent(roomId, eventId);
        await directory.ensure(roomId);
        return await crypto.decrypt(roomId, raw as never);
      } catch (rawError) {
        if (toPlatformError(rawError, 'fetch event') instanceof PlatformRejectedError) return undefined; // gone
        throw rawError;
      }
    },
    isDirect: (roomId) => directory.kind(roomId) === 'direct',
  });
  await undecryptable.load();
  await saveStatus();
  return { crypto, undecryptable, saveStatus };
}
