/**
 * `hearth doctor`'s look at encrypted rooms: which joined rooms Hearth cannot read. Uses
 * one state lookup per room (households have a handful), without starting to sync.
 */
import type { MatrixClient } from 'matrix-js-sdk';
import type { DoctorCheck } from '../../src/core/index.ts';
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
    detail: `Hearth cannot read end-to-end encrypted messages yet; it will not answer in: ${names}`,
    fix: 'talk to Hearth in a room created without encryption (in Element: turn off "Enable end-to-end encryption" when creating the room or DM); encryption cannot be turned off in an existing room',
  };
}
