/**
 * Room invites: joined only when the inviter is someone Hearth knows (the owner, a paired
 * person); anyone else's invite is declined (left) and audited, so a stranger cannot pull the bot
 * into a room and talk to the model there.
 */
import type { MatrixClient } from 'matrix-js-sdk';
import { PlatformRejectedError, type AdapterContext, type Logger } from '../../src/core/index.ts';
import { toPlatformError } from './errors.ts';
import type { RoomDirectory } from './rooms.ts';
import { stringField, type InvitedRoomSync } from './wire.ts';

export interface InviteDeps {
  client: MatrixClient;
  context: AdapterContext;
  log: Logger;
  ownUserId: string;
  rooms: RoomDirectory;
}

export async function handleInvite(deps: InviteDeps, roomId: string, invite: InvitedRoomSync): Promise<void> {
  const events = invite.invite_state?.events ?? [];
  const own = events.find((e) => e.type === 'm.room.member' && e.state_key === deps.ownUserId);
  if (!own || stringField(own.content, 'membership') !== 'invite') return;
  const inviter = own.sender;
  const roomName = stringField(events.find((e) => e.type === 'm.room.name')?.content, 'name');
  const detail: Record<string, unknown> = { roomId };
  if (roomName) detail.roomName = roomName;

  const known = inviter ? await deps.context.isKnownAccount(inviter) : false;
  try {
    if (known) {
      await deps.client.joinRoom(roomId);
      if (own.content.is_direct === true) deps.rooms.markDirect(roomId);
      deps.log.info({ roomId, inviter }, 'matrix: accepted room invite');
      await deps.context.audit({ kind: 'invite.accepted', subject: inviter, detail });
    } else {
      await deps.client.leave(roomId);
      deps.log.info({ roomId, inviter }, 'matrix: declined room invite from someone Hearth does not know');
      await deps.context.audit({ kind: 'invite.declined', subject: inviter, detail: { ...detail, reason: 'inviter is not known to Hearth' } });
    }
  } catch (raw) {
    const error = toPlatformError(raw, known ? 'join room' : 'decline invite');
    // The homeserver said no (invite withdrawn, room gone): nothing to retry. Anything else
    // (unreachable, rate limited) fails the batch, which is retried from the same sync token.
    if (!(error instanceof PlatformRejectedError)) throw error;
    deps.log.warn({ roomId, inviter, err: error.message }, 'matrix: could not act on invite');
  }
}
