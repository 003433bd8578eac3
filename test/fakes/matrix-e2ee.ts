/**
 * The end-to-end encryption part of the Matrix stand-in, as a homeserver sees it: it never
 * decrypts anything, it stores and relays. Device keys, one-time and fallback keys
 * (/keys/upload, /keys/query, /keys/claim), cross-signing keys and signatures, to-device messages
 * (/sendToDevice, delivered in /sync until acknowledged by the next sync token), device list
 * changes and one-time key counts in /sync, and server-side key backup (/room_keys).
 *
 * Test hooks: `interceptToDevice` holds or drops to-device messages (a room key that arrives late
 * or never), `release()` delivers the held ones.
 */
import type { FakeMatrixStore } from './matrix-store.ts';

type Json = Record<string, unknown>;
type Reply = (status: number, json: unknown) => void;
export type ToDeviceFate = 'deliver' | 'hold' | 'drop';

interface ToDevice {
  pos: number;
  event: { type: string; sender: string; content: Json };
}

const id = (userId: string, deviceId: string) => `${userId}|${deviceId}`;

function mergeSignatures(target: Json, signed: Json): void {
  const into = (target.signatures ?? {}) as Record<string, Json>;
  for (const [user, sigs] of Object.entries((signed.signatures ?? {}) as Record<string, Json>)) into[user] = { ...(into[user] ?? {}), ...sigs };
  target.signatures = into;
}

export class FakeE2ee {
  readonly deviceKeys = new Map<string, Map<string, Json>>();
  private readonly oneTimeKeys = new Map<string, Map<string, unknown>>();
  private readonly fallbackKeys = new Map<string, { keyId: string; key: unknown; used: boolean }>();
  readonly crossSigning = new Map<string, { master?: Json; self_signing?: Json; user_signing?: Json }>();
  private readonly queues = new Map<string, ToDevice[]>();
  private readonly deviceChanges: Array<{ pos: number; userId: string }> = [];
  readonly backups = new Map<string, { version: string; algorithm: string; auth_data: Json; rooms: Record<string, { sessions: Record<string, Json> }> }>();
  private backupCounter = 0;
  /** Decides per to-device message whether it is delivered, held back or lost. */
  interceptToDevice: ((type: string, sender: string, target: { userId: string; deviceId: string }) => ToDeviceFate) | undefined;
  private readonly held: Array<{ target: string; event: ToDevice['event'] }> = [];
  /** Every to-device message sent, for assertions (type, sender, receiver; content is opaque). */
  readonly sentToDevice: Array<{ type: string; sender: string; userId: string; deviceId: string }> = [];
  private readonly store: FakeMatrixStore;

  constructor(store: FakeMatrixStore) {
    this.store = store;
  }

  /** Delivers the to-device messages `interceptToDevice` held back. */
  release(): void {
    for (const { target, event } of this.held.splice(0)) this.enqueue(target, event);
  }

  /** One device's published keys (what other devices encrypt to), if uploaded. */
  device(userId: string, deviceId: string): Json | undefined {
    return this.deviceKeys.get(userId)?.get(deviceId);
  }

  private enqueue(target: string, event: ToDevice['event']): void {
    const queue = this.queues.get(target) ?? [];
    queue.push({ pos: ++this.store.pos, event });
    this.queues.set(target, queue);
    this.store.changed();
  }

  private deviceChanged(userId: string): void {
    this.deviceChanges.push({ pos: ++this.store.pos, userId });
    this.store.changed();
  }

  /** The encryption sections of a user's /sync. `fresh` when something new is in them. */
  syncSection(userId: string, deviceId: string, since: number | undefined): { body: Json; fresh: boolean } {
    const key = id(userId, deviceId);
    const queue = (this.queues.get(key) ?? []).filter((m) => since === undefined || m.pos > since); // acknowledged ones are gone
    this.queues.set(key, queue);
    const sharing = this.store.usersSharingRooms(userId);
    const changed = since === undefined ? [] : [...new Set(this.deviceChanges.filter((c) => c.pos > since && (c.userId === userId || sharing.has(c.userId))).map((c) => c.userId))];
    const fallback = this.fallbackKeys.get(key);
    const body: Json = {
      to_device: { events: queue.map((m) => m.event) },
      device_lists: { changed, left: [] },
      device_one_time_keys_count: { signed_curve25519: this.oneTimeKeys.get(key)?.size ?? 0 },
      device_unused_fallback_key_types: fallback && !fallback.used ? ['signed_curve25519'] : [],
    };
    return { body, fresh: queue.length > 0 || changed.length > 0 };
  }

  /** Handles /keys/*, /sendToDevice and /room_keys/*; false for any other route. */
  route(method: string, parts: string[], query: Record<string, string>, body: Json, me: { userId: string; deviceId: string; token: string }, reply: Reply): boolean {
    const p = (i: number) => parts[i] ?? '';
    if (p(0) === 'keys') {
      if (method === 'POST' && p(1) === 'upload') return this.upload(me, body, reply), true;
      if (method === 'POST' && p(1) === 'query') return this.query(me, body, reply), true;
      if (method === 'POST' && p(1) === 'claim') return this.claim(body, reply), true;
      if (method === 'POST' && p(1) === 'device_signing' && p(2) === 'upload') return this.uploadCrossSigning(me, body, reply), true;
      if (method === 'POST' && p(1) === 'signatures' && p(2) === 'upload') return this.uploadSignatures(body, reply), true;
      return false;
    }
    if (method === 'PUT' && p(0) === 'sendToDevice') {
      const messages = (body.messages ?? {}) as Record<string, Record<string, Json>>;
      for (const [userId, devices] of Object.entries(messages)) {
        for (const [deviceId, content] of Object.entries(devices)) {
          const targets = deviceId === '*' ? [...(this.deviceKeys.get(userId)?.keys() ?? [])] : [deviceId];
          for (const target of targets) {
            const event = { type: p(1), sender: me.userId, content };
            this.sentToDevice.push({ type: event.type, sender: me.userId, userId, deviceId: target });
            const fate = this.interceptToDevice?.(event.type, me.userId, { userId, deviceId: target }) ?? 'deliver';
            if (fate === 'deliver') this.enqueue(id(userId, target), event);
            else if (fate === 'hold') this.held.push({ target: id(userId, target), event });
          }
        }
      }
      reply(200, {});
      return true;
    }
    if (p(0) === 'room_keys') return this.backup(method, parts, query, body, me.userId, reply);
    return false;
  }

  private upload(me: { userId: string; deviceId: string }, body: Json, reply: Reply): void {
    const key = id(me.userId, me.deviceId);
    if (body.device_keys) {
      const devices = this.deviceKeys.get(me.userId) ?? new Map<string, Json>();
      const previous = devices.get(me.deviceId);
      devices.set(me.deviceId, { ...(body.device_keys as Json), signatures: { ...((previous?.signatures ?? {}) as Json), ...((body.device_keys as Json).signatures as Json) } });
      this.deviceKeys.set(me.userId, devices);
      this.deviceChanged(me.userId);
    }
    const keys = this.oneTimeKeys.get(key) ?? new Map<string, unknown>();
    for (const [keyId, value] of Object.entries((body.one_time_keys ?? {}) as Json)) {
      const existing = keys.get(keyId);
      // Synapse accepts a repeated upload of the same key and refuses a different key under an old id.
      if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(value)) {
        return reply(400, { errcode: 'M_INVALID_PARAM', error: `One time key ${keyId} already exists` });
      }
      keys.set(keyId, value);
    }
    this.oneTimeKeys.set(key, keys);
    for (const [keyId, value] of Object.entries((body.fallback_keys ?? body['org.matrix.msc2732.fallback_keys'] ?? {}) as Json)) {
      this.fallbackKeys.set(key, { keyId, key: value, used: false });
    }
    reply(200, { one_time_key_counts: { signed_curve25519: keys.size } });
  }

  private query(me: { userId: string }, body: Json, reply: Reply): void {
    const wanted = (body.device_keys ?? {}) as Record<string, string[]>;
    const out: Json = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {}, failures: {} };
    for (const [userId, deviceIds] of Object.entries(wanted)) {
      const devices = this.deviceKeys.get(userId) ?? new Map();
      const picked: Json = {};
      for (const [deviceId, keys] of devices) if (deviceIds.length === 0 || deviceIds.includes(deviceId)) picked[deviceId] = keys;
      (out.device_keys as Json)[userId] = picked;
      const cross = this.crossSigning.get(userId);
      if (cross?.master) (out.master_keys as Json)[userId] = cross.master;
      if (cross?.self_signing) (out.self_signing_keys as Json)[userId] = cross.self_signing;
      if (cross?.user_signing && userId === me.userId) (out.user_signing_keys as Json)[userId] = cross.user_signing;
    }
    reply(200, out);
  }

  private claim(body: Json, reply: Reply): void {
    const wanted = (body.one_time_keys ?? {}) as Record<string, Record<string, string>>;
    const out: Record<string, Record<string, Json>> = {};
    for (const [userId, devices] of Object.entries(wanted)) {
      for (const deviceId of Object.keys(devices)) {
        const key = id(userId, deviceId);
        const keys = this.oneTimeKeys.get(key);
        const first = keys?.keys().next();
        let claimed: Json | undefined;
        if (keys && first && !first.done) {
          claimed = { [first.value]: keys.get(first.value) };
          keys.delete(first.value);
        } else {
          const fallback = this.fallbackKeys.get(key);
          if (fallback) {
            fallback.used = true;
            claimed = { [fallback.keyId]: fallback.key };
          }
        }
        if (claimed) (out[userId] ??= {})[deviceId] = claimed;
      }
    }
    reply(200, { one_time_keys: out, failures: {} });
  }

  private uploadCrossSigning(me: { userId: string }, body: Json, reply: Reply): void {
    const existing = this.crossSigning.get(me.userId);
    // MSC3967: the first upload needs no password; replacing keys needs interactive auth.
    if (existing?.master && JSON.stringify(existing.master) !== JSON.stringify(body.master_key) && !body.auth) {
      return reply(401, { flows: [{ stages: ['m.login.password'] }], params: {}, session: 'fake-uia' });
    }
    this.crossSigning.set(me.userId, {
      ...existing,
      ...(body.master_key ? { master: body.master_key as Json } : {}),
      ...(body.self_signing_key ? { self_signing: body.self_signing_key as Json } : {}),
      ...(body.user_signing_key ? { user_signing: body.user_signing_key as Json } : {}),
    });
    this.deviceChanged(me.userId);
    reply(200, {});
  }

  private uploadSignatures(body: Json, reply: Reply): void {
    for (const [userId, signed] of Object.entries(body as Record<string, Record<string, Json>>)) {
      for (const [keyOrDevice, object] of Object.entries(signed)) {
        const device = this.deviceKeys.get(userId)?.get(keyOrDevice);
        const cross = this.crossSigning.get(userId);
        const crossKey = cross && Object.values(cross).find((k) => k && Object.values((k.keys ?? {}) as Json).includes(keyOrDevice));
        const target = device ?? crossKey;
        if (target) mergeSignatures(target, object);
      }
      this.deviceChanged(userId);
    }
    reply(200, { failures: {} });
  }

  private backup(method: string, parts: string[], query: Record<string, string>, body: Json, userId: string, reply: Reply): boolean {
    const current = this.backups.get(userId);
    const notFound = () => reply(404, { errcode: 'M_NOT_FOUND', error: 'No current backup version' });
    if (parts[1] === 'version') {
      if (method === 'POST') {
        const version = String(++this.backupCounter);
        this.backups.set(userId, { version, algorithm: String(body.algorithm), auth_data: body.auth_data as Json, rooms: {} });
        return reply(200, { version }), true;
      }
      const asked = parts[2];
      if (!current || (asked && asked !== current.version)) return notFound(), true;
      if (method === 'PUT') {
        current.auth_data = body.auth_data as Json;
        return reply(200, {}), true;
      }
      if (method === 'DELETE') {
        this.backups.delete(userId);
        return reply(200, {}), true;
      }
      const count = Object.values(current.rooms).reduce((n, r) => n + Object.keys(r.sessions).length, 0);
      return reply(200, { version: current.version, algorithm: current.algorithm, auth_data: current.auth_data, count, etag: String(count) }), true;
    }
    if (parts[1] === 'keys') {
      if (!current || query.version !== current.version) return reply(403, { errcode: 'M_WRONG_ROOM_KEYS_VERSION', error: 'Wrong backup version', current_version: current?.version }), true;
      if (method === 'PUT') {
        for (const [roomId, room] of Object.entries((body.rooms ?? {}) as Record<string, { sessions: Record<string, Json> }>)) {
          const into = (current.rooms[roomId] ??= { sessions: {} });
          Object.assign(into.sessions, room.sessions);
        }
        const count = Object.values(current.rooms).reduce((n, r) => n + Object.keys(r.sessions).length, 0);
        return reply(200, { count, etag: String(count) }), true;
      }
      const [roomId, sessionId] = [parts[2], parts[3]];
      if (roomId && sessionId) {
        const session = current.rooms[roomId]?.sessions[sessionId];
        return session ? reply(200, session) : notFound(), true;
      }
      if (roomId) return reply(200, current.rooms[roomId] ?? { sessions: {} }), true;
      return reply(200, { rooms: current.rooms }), true;
    }
    return false;
  }
}
