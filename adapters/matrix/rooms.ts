/**
 * What the adapter knows about each room, built from sync state and, after a restart (when an
 * incremental sync carries no state for quiet rooms), from one `GET /rooms/{id}/state` the first
 * time the room is needed. Holds exactly what normalizing needs: members and their names, the
 * room name, whether it is a DM, whether it is encrypted.
 */
import type { MatrixClient } from 'matrix-js-sdk';
import { isRecord, stringField, type RawEvent } from './wire.ts';

interface Member {
  membership: string;
  displayName?: string;
}

interface Room {
  members: Map<string, Member>;
  name?: string;
  alias?: string;
  encrypted: boolean;
  /** True once the room's full state is known (initial sync or a state fetch). */
  complete: boolean;
}

export class RoomDirectory {
  private readonly rooms = new Map<string, Room>();
  /** Rooms listed in the bot's `m.direct` account data, or accepted from an `is_direct` invite. */
  private readonly direct = new Set<string>();
  private readonly client: MatrixClient;
  /** Told about every state event applied (the crypto layer mirrors state into SDK rooms). */
  onState: ((roomId: string, events: RawEvent[]) => void) | undefined;

  constructor(client: MatrixClient) {
    this.client = client;
  }

  private room(roomId: string): Room {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { members: new Map(), encrypted: false, complete: false };
      this.rooms.set(roomId, room);
    }
    return room;
  }

  /** `m.direct` maps user id → room ids (https://spec.matrix.org/v1.13/client-server-api/#mdirect). */
  setDirect(content: unknown): void {
    this.direct.clear();
    if (!isRecord(content)) return;
    for (const rooms of Object.values(content)) {
      if (Array.isArray(rooms)) for (const roomId of rooms) if (typeof roomId === 'string') this.direct.add(roomId);
    }
  }

  markDirect(roomId: string): void {
    this.direct.add(roomId);
  }

  forget(roomId: string): void {
    this.rooms.delete(roomId);
  }

  /** Apply state events; `complete` when they are the room's full state. */
  applyState(roomId: string, events: RawEvent[], complete = false): void {
    const room = this.room(roomId);
    for (const event of events) this.applyStateEvent(room, event);
    if (complete) room.complete = true;
    this.onState?.(roomId, events);
  }

  private applyStateEvent(room: Room, event: RawEvent): void {
    if (event.state_key === undefined) return;
    switch (event.type) {
      case 'm.room.member': {
        const membership = stringField(event.content, 'membership') ?? 'leave';
        const displayName = stringField(event.content, 'displayname');
        room.members.set(event.state_key, displayName ? { membership, displayName } : { membership });
        break;
      }
      case 'm.room.name':
        room.name = stringField(event.content, 'name') || undefined;
        break;
      case 'm.room.canonical_alias':
        room.alias = stringField(event.content, 'alias') || undefined;
        break;
      case 'm.room.encryption':
        // Encryption cannot be switched off once on (spec); any algorithm means we cannot read it.
        if (stringField(event.content, 'algorithm')) room.encrypted = true;
        break;
    }
  }

  isComplete(roomId: string): boolean {
    return this.rooms.get(roomId)?.complete ?? false;
  }

  /** Load the room's full current state if a sync has not given it yet. */
  async ensure(roomId: string): Promise<void> {
    if (this.isComplete(roomId)) return;
    const state = (await this.client.roomState(roomId)) as unknown as RawEvent[];
    this.applyState(roomId, state, true);
  }

  isEncrypted(roomId: string): boolean {
    return this.rooms.get(roomId)?.encrypted ?? false;
  }

  /** Joined plus invited members: a DM the other person has not accepted yet is still a DM. */
  private activeMembers(roomId: string): string[] {
    const room = this.rooms.get(roomId);
    if (!room) return [];
    return [...room.members].filter(([, m]) => m.membership === 'join' || m.membership === 'invite').map(([id]) => id);
  }

  /** DM: listed in m.direct, or exactly two people (the bot and one other) in the room. */
  kind(roomId: string): 'direct' | 'group' {
    if (this.direct.has(roomId)) return 'direct';
    return this.activeMembers(roomId).length === 2 ? 'direct' : 'group';
  }

  title(roomId: string): string | undefined {
    const room = this.rooms.get(roomId);
    return room?.name ?? room?.alias;
  }

  displayName(roomId: string, userId: string): string | undefined {
    return this.rooms.get(roomId)?.members.get(userId)?.displayName;
  }

  membership(roomId: string, userId: string): string | undefined {
    return this.rooms.get(roomId)?.members.get(userId)?.membership;
  }
}
