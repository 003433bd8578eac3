/**
 * Opening a direct chat with someone Hearth knows (to reach a person first, e.g. an approval
 * request or a reminder). Reuses a DM listed for them in the bot's `m.direct` account data where
 * both are still in the room; otherwise creates one the way Element does: private, `is_direct`,
 * the person invited, end-to-end encrypted when Hearth's encryption is on, and listed in
 * `m.direct` so both sides' clients show it as a DM.
 */
import { EventType, Method, type MatrixClient } from 'matrix-js-sdk';
import { PlatformRejectedError, type ConversationRef } from '../../src/core/index.ts';
import { PLATFORM, toPlatformError } from './errors.ts';
import type { RoomDirectory } from './rooms.ts';
import { isRecord } from './wire.ts';

export interface DirectDeps {
  client: MatrixClient;
  rooms: RoomDirectory;
  ownUserId: string;
  /** Create new DMs encrypted (Hearth can read and write encrypted rooms). */
  encrypted: boolean;
}

async function directMap(client: MatrixClient): Promise<Record<string, string[]>> {
  try {
    const content = await client.getAccountDataFromServer(EventType.Direct);
    const out: Record<string, string[]> = {};
    if (isRecord(content)) for (const [user, ids] of Object.entries(content)) if (Array.isArray(ids)) out[user] = ids.filter((id): id is string => typeof id === 'string');
    return out;
  } catch (raw) {
    if (toPlatformError(raw, 'read m.direct') instanceof PlatformRejectedError) return {}; // none yet
    throw toPlatformError(raw, 'read m.direct');
  }
}

export async function openDirect(deps: DirectDeps, accountId: string): Promise<ConversationRef> {
  const { client, rooms, ownUserId } = deps;
  if (!/^@[^:\s]+:\S+$/.test(accountId)) throw new PlatformRejectedError(PLATFORM, `${accountId} is not a Matrix user id`);
  if (accountId === ownUserId) throw new PlatformRejectedError(PLATFORM, 'Hearth cannot open a direct chat with itself');
  const direct = await directMap(client);
  for (const roomId of [...(direct[accountId] ?? [])].reverse()) {
    try {
      await rooms.ensure(roomId);
    } catch {
      continue; // a room the bot left or cannot see any more
    }
    const theirs = rooms.membership(roomId, accountId);
    if (rooms.membership(roomId, ownUserId) === 'join' && (theirs === 'join' || theirs === 'invite')) return { id: roomId, kind: 'direct' };
  }

  const body: Record<string, unknown> = { preset: 'trusted_private_chat', is_direct: true, invite: [accountId] };
  if (deps.encrypted) body.initial_state = [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }];
  let roomId: string;
  try {
    roomId = (await client.http.authedRequest<{ room_id: string }>(Method.Post, '/createRoom', undefined, body)).room_id;
  } catch (raw) {
    throw toPlatformError(raw, 'create direct chat');
  }
  // Read the map again just before writing: another client of the bot may have changed it.
  const latest = await directMap(client);
  latest[accountId] = [...(latest[accountId] ?? []).filter((id) => id !== roomId), roomId];
  try {
    await client.setAccountDataRaw(EventType.Direct, latest);
  } catch (raw) {
    throw toPlatformError(raw, 'update m.direct');
  }
  rooms.markDirect(roomId);
  await rooms.ensure(roomId);
  return { id: roomId, kind: 'direct' };
}
