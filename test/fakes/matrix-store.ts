/**
 * The homeserver's memory for the Matrix stand-in: rooms, events in one global stream order,
 * membership, account data, and the /sync and /messages views over them. Tokens are positions
 * in the stream: sync tokens `s<pos>` (everything up to pos seen), pagination tokens `t<pos>`.
 */

export interface FakeEvent {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  state_key?: string;
  origin_server_ts: number;
  unsigned?: Record<string, unknown>;
}

interface Room {
  id: string;
  events: Array<{ pos: number; event: FakeEvent }>;
  state: Map<string, { pos: number; event: FakeEvent }>;
  typing: { pos: number; userIds: string[] };
}

const stateKey = (type: string, key: string) => `${type}\u0000${key}`;

export class FakeMatrixStore {
  pos = 0;
  readonly rooms = new Map<string, Room>();
  /** Account data per user (the bot's is `accountData`). */
  private readonly accountDataByUser = new Map<string, Map<string, { pos: number; content: Record<string, unknown> }>>();
  readonly profiles = new Map<string, string>();
  private counter = 0;
  private readonly listeners = new Set<() => void>();
  readonly botUserId: string;
  readonly serverName: string;

  constructor(botUserId: string) {
    this.botUserId = botUserId;
    this.serverName = botUserId.split(':').slice(1).join(':');
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Wakes long-polling syncs (new data, or the server going down). */
  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  newRoomId(): string {
    return `!room${++this.counter}:${this.serverName}`;
  }

  room(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  ensureRoom(roomId: string): Room {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { id: roomId, events: [], state: new Map(), typing: { pos: 0, userIds: [] } };
      this.rooms.set(roomId, room);
    }
    return room;
  }

  /** Appends an event to the room's timeline (and state, for state events) at the next position. */
  append(roomId: string, partial: Omit<FakeEvent, 'event_id' | 'room_id' | 'origin_server_ts'> & { origin_server_ts?: number }): FakeEvent {
    const room = this.ensureRoom(roomId);
    const event: FakeEvent = {
      ...partial,
      event_id: `$ev${++this.counter}_${Math.random().toString(36).slice(2, 8)}`,
      room_id: roomId,
      origin_server_ts: partial.origin_server_ts ?? Date.now(),
    };
    const pos = ++this.pos;
    if (event.state_key !== undefined) {
      const previous = room.state.get(stateKey(event.type, event.state_key));
      if (previous) event.unsigned = { ...event.unsigned, prev_content: previous.event.content };
      room.state.set(stateKey(event.type, event.state_key), { pos, event });
    }
    room.events.push({ pos, event });
    this.changed();
    return event;
  }

  get accountData(): Map<string, { pos: number; content: Record<string, unknown> }> {
    return this.accountDataOf(this.botUserId);
  }

  accountDataOf(userId: string): Map<string, { pos: number; content: Record<string, unknown> }> {
    let data = this.accountDataByUser.get(userId);
    if (!data) {
      data = new Map();
      this.accountDataByUser.set(userId, data);
    }
    return data;
  }

  setAccountData(type: string, content: Record<string, unknown>, userId = this.botUserId): void {
    this.accountDataOf(userId).set(type, { pos: ++this.pos, content });
    this.changed();
  }

  /** Everyone joined to or invited into a room with this user (whose device changes they hear of). */
  usersSharingRooms(userId: string): Set<string> {
    const out = new Set<string>();
    for (const room of this.rooms.values()) {
      const members = [...room.state.values()].filter((s) => s.event.type === 'm.room.member' && ['join', 'invite'].includes(String(s.event.content.membership)));
      if (!members.some((m) => m.event.state_key === userId)) continue;
      for (const m of members) out.add(m.event.state_key!);
    }
    return out;
  }

  setTyping(roomId: string, userIds: string[]): void {
    this.ensureRoom(roomId).typing = { pos: ++this.pos, userIds };
    this.changed();
  }

  stateEvent(roomId: string, type: string, key: string): FakeEvent | undefined {
    return this.rooms.get(roomId)?.state.get(stateKey(type, key))?.event;
  }

  currentState(roomId: string): FakeEvent[] {
    return [...(this.rooms.get(roomId)?.state.values() ?? [])].map((s) => s.event);
  }

  membership(roomId: string, userId: string): string | undefined {
    const event = this.stateEvent(roomId, 'm.room.member', userId);
    return typeof event?.content.membership === 'string' ? event.content.membership : undefined;
  }

  findEvent(roomId: string, eventId: string): FakeEvent | undefined {
    return this.rooms.get(roomId)?.events.find((e) => e.event.event_id === eventId)?.event;
  }

  /** `userId`'s /sync response for `since` (undefined: initial sync), with at most `limit` timeline events per room. */
  sync(since: number | undefined, limit: number, userId = this.botUserId): { body: Record<string, unknown>; empty: boolean } {
    const join: Record<string, unknown> = {};
    const invite: Record<string, unknown> = {};
    const leave: Record<string, unknown> = {};
    const bot = userId;
    for (const room of this.rooms.values()) {
      const member = room.state.get(stateKey('m.room.member', bot));
      if (!member) continue;
      const membership = member.event.content.membership;
      const fresh = since === undefined || member.pos > since;
      if (membership === 'join') {
        const candidates = fresh ? room.events : room.events.filter((e) => e.pos > since!);
        const timeline = candidates.slice(-limit);
        const typingFresh = since === undefined || room.typing.pos > since;
        if (!fresh && timeline.length === 0 && !typingFresh) continue;
        const inTimeline = new Set(timeline.map((e) => e.event.event_id));
        const state = fresh
          ? [...room.state.values()].filter((s) => !inTimeline.has(s.event.event_id)).map((s) => s.event)
          : candidates.slice(0, -limit).filter((e) => e.event.state_key !== undefined).map((e) => e.event);
        join[room.id] = {
          state: { events: state },
          timeline: {
            events: timeline.map((e) => e.event),
            limited: candidates.length > timeline.length,
            prev_batch: timeline.length ? `t${timeline[0]!.pos}` : `t${this.pos + 1}`,
          },
          ephemeral: { events: typingFresh && room.typing.pos > 0 ? [{ type: 'm.typing', content: { user_ids: room.typing.userIds } }] : [] },
          account_data: { events: [] },
          unread_notifications: {},
          summary: {},
        };
      } else if (membership === 'invite' && fresh) {
        const stripped = ['m.room.create', 'm.room.name', 'm.room.join_rules', 'm.room.encryption']
          .map((type) => room.state.get(stateKey(type, ''))?.event)
          .filter((e): e is FakeEvent => !!e)
          .map(({ type, sender, content, state_key }) => ({ type, sender, content, state_key }));
        const inviterId = member.event.sender;
        const inviter = room.state.get(stateKey('m.room.member', inviterId))?.event;
        if (inviter) stripped.push({ type: inviter.type, sender: inviter.sender, content: inviter.content, state_key: inviterId });
        stripped.push({ type: 'm.room.member', sender: inviterId, content: member.event.content, state_key: bot });
        invite[room.id] = { invite_state: { events: stripped } };
      } else if ((membership === 'leave' || membership === 'ban') && since !== undefined && member.pos > since) {
        leave[room.id] = { state: { events: [] }, timeline: { events: [member.event], limited: false, prev_batch: null }, account_data: { events: [] } };
      }
    }
    const accountData = [...this.accountDataOf(userId)]
      .filter(([, v]) => since === undefined || v.pos > since)
      .map(([type, v]) => ({ type, content: v.content }));
    const empty = !Object.keys(join).length && !Object.keys(invite).length && !Object.keys(leave).length && !accountData.length;
    return {
      body: { next_batch: `s${this.pos}`, rooms: { join, invite, leave, knock: {} }, account_data: { events: accountData }, presence: { events: [] }, to_device: { events: [] } },
      empty,
    };
  }

  /** /rooms/{id}/messages: `from` is a `t<pos>` (exclusive upper bound) or `s<pos>` (inclusive). */
  messages(roomId: string, from: string | undefined, dir: string, limit: number): Record<string, unknown> {
    const room = this.rooms.get(roomId);
    const events = room?.events ?? [];
    const parsed = from ? Number(from.slice(1)) : undefined;
    if (dir === 'f') {
      const start = parsed === undefined ? 0 : from!.startsWith('s') ? parsed + 1 : parsed;
      const page = events.filter((e) => e.pos >= start).slice(0, limit);
      const last = page.at(-1);
      return { chunk: page.map((e) => e.event), start: from ?? 't0', ...(last && page.length === limit ? { end: `t${last.pos + 1}` } : {}) };
    }
    const upper = parsed === undefined ? Infinity : from!.startsWith('s') ? parsed + 1 : parsed;
    const before = events.filter((e) => e.pos < upper);
    const page = before.slice(-limit).reverse();
    const oldest = page.at(-1);
    const more = oldest !== undefined && before.length > page.length;
    return { chunk: page.map((e) => e.event), start: from ?? `t${this.pos + 1}`, ...(more ? { end: `t${oldest.pos}` } : {}) };
  }
}
