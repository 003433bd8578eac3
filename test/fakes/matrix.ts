/**
 * A Matrix client-server API stand-in on 127.0.0.1 for the real matrix-js-sdk: versions, whoami,
 * capabilities, pushrules, filters, long-polling /sync, send with transaction ids (echoed in the
 * bot's sync as unsigned.transaction_id), typing, join/leave, room state/members/events/messages,
 * account data, profiles. Records every call; injects 429 M_LIMIT_EXCEEDED, 5xx, outages and a
 * revoked token. Test helpers put people's messages, invites and encrypted rooms into rooms.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeE2ee } from './matrix-e2ee.ts';
import { FakeMatrixStore, type FakeEvent } from './matrix-store.ts';

export type { FakeEvent } from './matrix-store.ts';

export interface RecordedCall {
  method: string;
  /** Path after the client API prefix, e.g. `/rooms/!r:hs/send/m.room.message/txn1`. */
  route: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** Whose access token made the call. */
  userId?: string;
}

/** An account on the stand-in, as its access token identifies it. */
export interface FakeDevice {
  userId: string;
  deviceId: string;
  token: string;
}

export interface InjectedFailure {
  method?: string;
  path: RegExp;
  status: number;
  errcode?: string;
  error?: string;
  retryAfterMs?: number;
  times?: number;
}

export interface BotMessage {
  roomId: string;
  eventId: string;
  /** Latest content, edits applied (m.new_content merged over the original). */
  content: Record<string, unknown>;
  original: FakeEvent;
  text: string;
  html: string | undefined;
  edits: number;
}

export interface RoomSetup {
  /** People joined besides the bot (first one creates the room). */
  members: string[];
  /** Bot membership: joined (default) or not in the room yet. */
  botJoined?: boolean;
  name?: string;
  encrypted?: boolean;
  displayNames?: Record<string, string>;
}

const PREFIX = /^\/_matrix\/client\/(?:v3|r0|v1|unstable)(\/.*)$/;

export class FakeMatrix {
  readonly store: FakeMatrixStore;
  readonly calls: RecordedCall[] = [];
  readonly accessToken: string;
  readonly botUserId: string;
  url = '';
  private server = createServer((req, res) => void this.handle(req, res));
  private failures: Array<InjectedFailure & { remaining: number }> = [];
  private down: false | 'http' | 'reset' = false;
  private tokenRevoked = false;
  private readonly txns = new Map<string, string>();
  private readonly filters = new Map<string, unknown>();
  private readonly sockets = new Set<import('node:net').Socket>();
  private readonly devices = new Map<string, FakeDevice>();
  /** Keys, to-device messages and backups (end-to-end encryption). */
  readonly e2ee: FakeE2ee;
  readonly botDeviceId = 'HEARTHFAKE';

  constructor(botUserId = '@hearth:hearth.test', accessToken = 'syt_fake_secret_token') {
    this.botUserId = botUserId;
    this.accessToken = accessToken;
    this.store = new FakeMatrixStore(botUserId);
    this.e2ee = new FakeE2ee(this.store);
    this.devices.set(accessToken, { userId: botUserId, deviceId: this.botDeviceId, token: accessToken });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- test helpers -------------------------------------------------------------------------

  /** Logs a person in on a new device; returns the access token of that device. */
  addDevice(userId: string, deviceId: string): FakeDevice {
    const device = { userId, deviceId, token: `syt_${userId.slice(1).split(':')[0]}_${deviceId}` };
    this.devices.set(device.token, device);
    return device;
  }

  createRoom(setup: RoomSetup): string {
    const roomId = this.store.newRoomId();
    const creator = setup.members[0] ?? this.botUserId;
    this.store.append(roomId, { type: 'm.room.create', sender: creator, state_key: '', content: { creator, room_version: '10' } });
    for (const userId of setup.members) this.joinAs(roomId, userId, setup.displayNames?.[userId]);
    this.store.append(roomId, { type: 'm.room.join_rules', sender: creator, state_key: '', content: { join_rule: 'invite' } });
    if (setup.name) this.store.append(roomId, { type: 'm.room.name', sender: creator, state_key: '', content: { name: setup.name } });
    if (setup.encrypted) this.enableEncryption(roomId, creator);
    if (setup.botJoined ?? true) this.joinAs(roomId, this.botUserId, setup.displayNames?.[this.botUserId]);
    return roomId;
  }

  /** POST /createRoom as a client asks it: creator joined, history shared, initial state, invites. */
  createRoomAs(creator: string, request: Record<string, unknown>): string {
    const roomId = this.store.newRoomId();
    this.store.append(roomId, { type: 'm.room.create', sender: creator, state_key: '', content: { creator, room_version: '10' } });
    this.joinAs(roomId, creator);
    this.store.append(roomId, { type: 'm.room.join_rules', sender: creator, state_key: '', content: { join_rule: 'invite' } });
    this.store.append(roomId, { type: 'm.room.history_visibility', sender: creator, state_key: '', content: { history_visibility: 'shared' } });
    for (const event of (request.initial_state ?? []) as Array<{ type: string; state_key?: string; content: Record<string, unknown> }>) {
      this.store.append(roomId, { type: event.type, sender: creator, state_key: event.state_key ?? '', content: event.content });
    }
    if (typeof request.name === 'string') this.store.append(roomId, { type: 'm.room.name', sender: creator, state_key: '', content: { name: request.name } });
    for (const invitee of (request.invite ?? []) as string[]) {
      const content: Record<string, unknown> = { membership: 'invite' };
      if (request.is_direct) content.is_direct = true;
      this.store.append(roomId, { type: 'm.room.member', sender: creator, state_key: invitee, content });
    }
    return roomId;
  }

  joinAs(roomId: string, userId: string, displayName?: string): void {
    const content: Record<string, unknown> = { membership: 'join' };
    const name = displayName ?? this.store.profiles.get(userId);
    if (name) content.displayname = name;
    this.store.append(roomId, { type: 'm.room.member', sender: userId, state_key: userId, content });
  }

  leaveAs(roomId: string, userId: string): void {
    this.store.append(roomId, { type: 'm.room.member', sender: userId, state_key: userId, content: { membership: 'leave' } });
  }

  invite(roomId: string, inviter: string, options: { isDirect?: boolean } = {}): void {
    const content: Record<string, unknown> = { membership: 'invite' };
    if (options.isDirect) content.is_direct = true;
    this.store.append(roomId, { type: 'm.room.member', sender: inviter, state_key: this.botUserId, content });
  }

  enableEncryption(roomId: string, sender: string): void {
    this.store.append(roomId, { type: 'm.room.encryption', sender, state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } });
  }

  /** A message from someone (any event type; default m.room.message). */
  event(roomId: string, sender: string, content: Record<string, unknown>, type = 'm.room.message', extra: Partial<FakeEvent> = {}): string {
    return this.store.append(roomId, { type, sender, content, ...extra }).event_id;
  }

  text(roomId: string, sender: string, body: string, extra: Record<string, unknown> = {}): string {
    return this.event(roomId, sender, { msgtype: 'm.text', body, ...extra });
  }

  encryptedMessage(roomId: string, sender: string): string {
    return this.event(roomId, sender, { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgAEn...', session_id: 'sess', device_id: 'DEV' }, 'm.room.encrypted');
  }

  setProfile(userId: string, displayName: string): void {
    this.store.profiles.set(userId, displayName);
  }

  setDirect(content: Record<string, string[]>): void {
    this.store.setAccountData('m.direct', content);
  }

  /** Messages the bot sent, edits applied, oldest first. */
  botMessages(roomId?: string): BotMessage[] {
    const out: BotMessage[] = [];
    for (const room of this.store.rooms.values()) {
      if (roomId && room.id !== roomId) continue;
      const events = room.events.map((e) => e.event).filter((e) => e.sender === this.botUserId && e.type === 'm.room.message');
      for (const event of events) {
        const relates = event.content['m.relates_to'] as Record<string, unknown> | undefined;
        if (relates?.rel_type === 'm.replace') continue;
        const edits = events.filter((e) => {
          const r = e.content['m.relates_to'] as Record<string, unknown> | undefined;
          return r?.rel_type === 'm.replace' && r.event_id === event.event_id;
        });
        const latest = edits.at(-1);
        const content = latest ? { ...event.content, ...(latest.content['m.new_content'] as Record<string, unknown>) } : event.content;
        out.push({
          roomId: room.id,
          eventId: event.event_id,
          content,
          original: event,
          text: String(content.body ?? ''),
          html: typeof content.formatted_body === 'string' ? content.formatted_body : undefined,
          edits: edits.length,
        });
      }
    }
    return out;
  }

  membership(roomId: string, userId = this.botUserId): string | undefined {
    return this.store.membership(roomId, userId);
  }

  callsTo(method: string, route: RegExp): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && route.test(c.route));
  }

  typingCalls(roomId?: string): RecordedCall[] {
    return this.callsTo('PUT', /^\/rooms\/[^/]+\/typing\//).filter((c) => !roomId || c.route.includes(encodeURIComponent(roomId)) || c.route.includes(roomId));
  }

  /** The next `times` matching requests fail with this status (and Matrix error body). */
  fail(failure: InjectedFailure): void {
    this.failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  /** 'http': every request answers 502 (a proxy in front of a stopped homeserver); 'reset': connections are dropped. */
  setDown(mode: false | 'http' | 'reset'): void {
    this.down = mode;
    if (mode === 'reset') for (const socket of this.sockets) socket.destroy();
    if (mode === 'http') this.store.changed(); // pending long polls answer 502 now
  }

  revokeToken(): void {
    this.tokenRevoked = true;
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const match = PREFIX.exec(url.pathname);
    const route = url.pathname === '/_matrix/client/versions' ? '/versions' : (match?.[1] ?? url.pathname);
    const call: RecordedCall = { method: req.method ?? 'GET', route: decodeURIComponent(route), query: Object.fromEntries(url.searchParams), body, status: 0 };
    let me = this.devices.get(this.accessToken)!;
    this.calls.push(call);
    const reply = (status: number, json: unknown) => {
      call.status = status;
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };

    if (this.down === 'reset') {
      call.status = -1;
      req.socket.destroy();
      return;
    }
    if (this.down === 'http') {
      call.status = 502;
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    const failure = this.failures.find((f) => f.remaining > 0 && (!f.method || f.method === call.method) && f.path.test(call.route));
    if (failure) {
      failure.remaining--;
      const errBody: Record<string, unknown> = { errcode: failure.errcode ?? (failure.status === 429 ? 'M_LIMIT_EXCEEDED' : 'M_UNKNOWN'), error: failure.error ?? 'injected failure' };
      if (failure.retryAfterMs !== undefined) errBody.retry_after_ms = failure.retryAfterMs;
      return reply(failure.status, errBody);
    }
    if (route !== '/versions') {
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7) : url.searchParams.get('access_token');
      if (!token) return reply(401, { errcode: 'M_MISSING_TOKEN', error: 'Missing access token' });
      const device = this.devices.get(token);
      if (!device || (token === this.accessToken && this.tokenRevoked)) return reply(401, { errcode: 'M_UNKNOWN_TOKEN', error: 'Invalid access token passed.', soft_logout: false });
      call.userId = device.userId;
      me = device;
    }
    try {
      await this.route(call, url, req, res, reply, me);
    } catch (error) {
      reply(500, { errcode: 'M_UNKNOWN', error: String(error) });
    }
  }

  private async route(
    call: RecordedCall,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    reply: (status: number, json: unknown) => void,
    me: FakeDevice,
  ): Promise<void> {
    const { method } = call;
    const parts = call.route.split('/').slice(1);
    const store = this.store;
    const bot = me.userId;
    const body = (call.body ?? {}) as Record<string, unknown>;
    const notFound = () => reply(404, { errcode: 'M_NOT_FOUND', error: 'Not found' });
    const p = (i: number) => parts[i] ?? '';

    if (call.route === '/versions') return reply(200, { versions: ['v1.1', 'v1.5', 'v1.11', 'v1.13'], unstable_features: {} });
    if (method === 'GET' && call.route === '/account/whoami') return reply(200, { user_id: bot, device_id: me.deviceId, is_guest: false });
    if (this.e2ee.route(method, parts, call.query, body, me, reply)) return;
    if (method === 'POST' && call.route === '/createRoom') return reply(200, { room_id: this.createRoomAs(me.userId, body) });
    if (method === 'GET' && call.route === '/capabilities') {
      return reply(200, { capabilities: { 'm.change_password': { enabled: false }, 'm.room_versions': { default: '10', available: { '10': 'stable' } } } });
    }
    if (method === 'GET' && /^\/pushrules\/?$/.test(call.route)) return reply(200, { global: { override: [], content: [], room: [], sender: [], underride: [] } });
    if (method === 'GET' && call.route === '/joined_rooms') {
      return reply(200, { joined_rooms: [...store.rooms.keys()].filter((id) => store.membership(id, bot) === 'join') });
    }
    if (p(0) === 'user' && p(2) === 'filter') {
      if (method === 'POST') {
        const id = String(this.filters.size + 1);
        this.filters.set(id, body);
        return reply(200, { filter_id: id });
      }
      const filter = this.filters.get(p(3));
      return filter ? reply(200, filter) : notFound();
    }
    if (p(0) === 'user' && p(2) === 'account_data') {
      if (p(1) !== bot) return reply(403, { errcode: 'M_FORBIDDEN', error: 'Cannot access account data of other users' });
      if (method === 'PUT') {
        store.setAccountData(p(3), body, bot);
        return reply(200, {});
      }
      const data = store.accountDataOf(bot).get(p(3));
      return data ? reply(200, data.content) : notFound();
    }
    if (p(0) === 'profile') {
      const name = store.profiles.get(p(1));
      if (!name) return notFound();
      return reply(200, p(2) === 'displayname' ? { displayname: name } : { displayname: name });
    }
    if (method === 'GET' && call.route === '/sync') return this.sync(call, url, req, res, reply, me);
    if (method === 'POST' && (p(0) === 'join' || (p(0) === 'rooms' && p(2) === 'join'))) {
      const roomId = p(1);
      const membership = store.membership(roomId, bot);
      if (membership !== 'invite' && membership !== 'join') return reply(403, { errcode: 'M_FORBIDDEN', error: 'You are not invited to this room.' });
      if (membership === 'invite') this.joinAs(roomId, bot);
      return reply(200, { room_id: roomId });
    }
    if (p(0) !== 'rooms') return reply(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });

    const roomId = p(1);
    const room = store.room(roomId);
    if (!room) return notFound();
    const membership = store.membership(roomId, bot);
    if (method === 'POST' && p(2) === 'leave') {
      if (membership === 'invite' || membership === 'join') store.append(roomId, { type: 'm.room.member', sender: bot, state_key: bot, content: { membership: 'leave' } });
      return reply(200, {});
    }
    if (membership !== 'join') return reply(403, { errcode: 'M_FORBIDDEN', error: 'User not in room' });
    if (method === 'PUT' && p(2) === 'send') {
      const [type, txnId] = [p(3), p(4)];
      const known = this.txns.get(`${me.token}/${txnId}`);
      if (known) return reply(200, { event_id: known });
      const size = Buffer.byteLength(JSON.stringify({ type, content: body, sender: bot, room_id: roomId, origin_server_ts: Date.now(), event_id: '$x', signatures: {} }), 'utf8');
      if (size > 65_536) return reply(413, { errcode: 'M_TOO_LARGE', error: 'event too large' });
      const event = store.append(roomId, { type, sender: bot, content: body, unsigned: { transaction_id: txnId } });
      this.txns.set(`${me.token}/${txnId}`, event.event_id);
      return reply(200, { event_id: event.event_id });
    }
    if (method === 'PUT' && p(2) === 'typing') return reply(200, {});
    if (method === 'GET' && p(2) === 'state') {
      if (parts.length <= 3) return reply(200, store.currentState(roomId));
      const event = store.stateEvent(roomId, p(3), p(4));
      return event ? reply(200, event.content) : notFound();
    }
    if (method === 'GET' && p(2) === 'members') return reply(200, { chunk: store.currentState(roomId).filter((e) => e.type === 'm.room.member') });
    if (method === 'GET' && p(2) === 'joined_members') {
      const joined: Record<string, unknown> = {};
      for (const e of store.currentState(roomId)) if (e.type === 'm.room.member' && e.content.membership === 'join') joined[e.state_key!] = { display_name: e.content.displayname ?? null };
      return reply(200, { joined });
    }
    if (method === 'GET' && p(2) === 'event') {
      const event = store.findEvent(roomId, p(3));
      return event ? reply(200, event) : notFound();
    }
    if (method === 'GET' && p(2) === 'messages') {
      return reply(200, store.messages(roomId, url.searchParams.get('from') ?? undefined, url.searchParams.get('dir') ?? 'b', Number(url.searchParams.get('limit') ?? 10)));
    }
    return reply(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
  }

  private async sync(call: RecordedCall, url: URL, req: IncomingMessage, res: ServerResponse, reply: (status: number, json: unknown) => void, me: FakeDevice): Promise<void> {
    const sinceParam = url.searchParams.get('since');
    const since = sinceParam ? Number(sinceParam.replace(/^s/, '')) : undefined;
    if (since !== undefined && (!Number.isFinite(since) || since > this.store.pos)) return reply(400, { errcode: 'M_INVALID_PARAM', error: 'bad since token' });
    const timeout = Math.min(Number(url.searchParams.get('timeout') ?? 0), 60_000);
    const limit = this.timelineLimit(url.searchParams.get('filter'));
    const view = () => {
      const rooms = this.store.sync(since, limit, me.userId);
      const crypto = this.e2ee.syncSection(me.userId, me.deviceId, since);
      return { body: { ...rooms.body, ...crypto.body }, empty: rooms.empty && !crypto.fresh };
    };
    let result = view();
    if (result.empty && timeout > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeout);
        const unsubscribe = this.store.onChange(done);
        res.on('close', done);
        function done() {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        }
      });
      if (res.destroyed) {
        call.status = -1;
        return;
      }
      if (this.down) {
        call.status = 502;
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      }
      result = view();
    }
    reply(200, result.body);
  }

  private timelineLimit(filter: string | null): number {
    let definition: unknown;
    if (filter?.startsWith('{')) definition = JSON.parse(filter);
    else if (filter) definition = this.filters.get(filter);
    const limit = (definition as { room?: { timeline?: { limit?: number } } } | undefined)?.room?.timeline?.limit;
    return typeof limit === 'number' && limit > 0 ? limit : 10;
  }
}

export async function startFakeMatrix(botUserId?: string, accessToken?: string): Promise<FakeMatrix> {
  return new FakeMatrix(botUserId, accessToken).listen();
}
