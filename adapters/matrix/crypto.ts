/**
 * End-to-end encryption for the Matrix adapter, on matrix-js-sdk's Rust crypto. Hearth drives
 * /sync itself (sync.ts), so this is the glue the SDK's own sync loop would otherwise be:
 * each response's to-device events, device list changes and one-time key counts go to the crypto
 * machine before the room events are read (room keys arrive by to-device), room state is mirrored
 * into SDK Room objects so the machine knows who to share room keys with, encrypted events are
 * decrypted before normalization, and every send into an encrypted room is encrypted here or not
 * sent at all (fail closed).
 *
 * Persistence is crypto-store.ts; the owner's recovery key and backup are crypto-setup.ts.
 */
import { randomBytes } from 'node:crypto';
import {
  EventTimeline,
  MatrixEvent,
  Room,
  type MatrixClient,
} from 'matrix-js-sdk';
import type { RustCrypto } from 'matrix-js-sdk/lib/rust-crypto/rust-crypto.js';
import { OnlySignedDevicesIsolationMode } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { PlatformRejectedError, type AdapterState, type Logger } from '../../src/core/index.ts';
import { PersistentCryptoStore } from './crypto-store.ts';
import { PLATFORM } from './errors.ts';
import type { Content, RawEvent, SyncResponse } from './wire.ts';
import { isRecord } from './wire.ts';

const STORE_KEY = 'cryptoStoreKey';

export interface CryptoOptions {
  client: MatrixClient;
  log: Logger;
  state: AdapterState;
  /** Folder for the crypto store snapshot (created 0700). */
  dir: string;
  userId: string;
  deviceId: string;
  /** Share room keys only with devices their owner cross-signed, and read only from those. */
  verifiedDevicesOnly: boolean;
}

export type Decrypted = { ok: true; event: RawEvent } | { ok: false; event: MatrixEvent; reason: string };

/** Thrown instead of sending plaintext into an encrypted room. */
export class EncryptionUnavailableError extends PlatformRejectedError {
  constructor(roomId: string, why: string) {
    super(PLATFORM, `refusing to send into end-to-end encrypted room ${roomId} without encrypting it: ${why}`);
  }
}

export class MatrixCrypto {
  readonly deviceId: string;
  readonly store: PersistentCryptoStore;
  private readonly options: CryptoOptions;
  private readonly backend: RustCrypto;
  private readonly rooms = new Map<string, Room>();
  /** Room setups (onCryptoEvent) still running; encryption waits for them. */
  private ready: Promise<void> = Promise.resolve();
  /** Whether this device's keys existed before this start (restored store) or are new. */
  readonly restored: boolean;

  private constructor(options: CryptoOptions, store: PersistentCryptoStore, backend: RustCrypto, restored: boolean) {
    this.options = options;
    this.deviceId = options.deviceId;
    this.store = store;
    this.backend = backend;
    this.restored = restored;
  }

  static async start(options: CryptoOptions): Promise<MatrixCrypto> {
    const { client, state, log } = options;
    const store = new PersistentCryptoStore(options.dir, options.deviceId);
    const restored = await store.restore();
    let key = await state.get<string>(STORE_KEY);
    if (!key) {
      if (restored) {
        throw new PlatformRejectedError(PLATFORM, `the key of the crypto store ${store.file} is missing from the database (was the database reset?); Hearth cannot read its own encryption keys`);
      }
      key = randomBytes(32).toString('base64');
      await state.set(STORE_KEY, key);
    }
    store.watch();
    await client.initRustCrypto({ cryptoDatabasePrefix: store.prefix, storageKey: new Uint8Array(Buffer.from(key, 'base64')) });
    const backend = client.getCrypto() as unknown as RustCrypto;
    if (options.verifiedDevicesOnly) backend.setDeviceIsolationMode(new OnlySignedDevicesIsolationMode());
    await store.flush();
    log.info({ deviceId: options.deviceId, restored }, restored ? 'matrix: end-to-end encryption ready (keys restored)' : 'matrix: end-to-end encryption ready (new device keys)');
    return new MatrixCrypto(options, store, backend, restored);
  }

  /** The encryption-relevant parts of a sync response, before its room events are read. */
  async processSync(response: SyncResponse): Promise<void> {
    const unused = response.device_unused_fallback_key_types ?? response['org.matrix.msc2732.device_unused_fallback_key_types'];
    await this.backend.processSyncChanges({
      toDeviceEvents: (response.to_device?.events ?? []) as never,
      deviceLists: response.device_lists ?? {},
      oneTimeKeysCounts: response.device_one_time_keys_count ?? {},
      ...(Array.isArray(unused) ? { unusedFallbackKeys: unused } : {}),
    });
  }

  /** After a batch: the machine's outgoing requests (key uploads, queries, claims, shares) go out. */
  syncDone(): void {
    this.backend.onSyncCompleted({});
  }

  /** Mirrors room state into the SDK Room the machine reads members and settings from. */
  applyState(roomId: string, events: RawEvent[]): void {
    if (events.length === 0) return;
    const { client, userId } = this.options;
    let room = this.rooms.get(roomId);
    if (!room) {
      room = new Room(roomId, client, userId);
      this.rooms.set(roomId, room);
    }
    const state = room.getLiveTimeline().getState(EventTimeline.FORWARDS)!;
    const mapped = events.filter((e) => e.state_key !== undefined).map((e) => new MatrixEvent({ ...e, room_id: roomId } as never));
    const before = new Map(mapped.filter((e) => e.getType() === 'm.room.member').map((e) => [e.getStateKey()!, room.getMember(e.getStateKey()!)?.membership]));
    state.setStateEvents(mapped);
    const target = room;
    for (const event of mapped) {
      if (event.getType() === 'm.room.member') {
        const member = target.getMember(event.getStateKey()!);
        if (member) this.backend.onRoomMembership(event, member, before.get(event.getStateKey()!));
      }
      if (event.getType() === 'm.room.encryption') {
        this.ready = this.ready.then(() => this.backend.onCryptoEvent(target, event)).catch((error: unknown) => {
          this.options.log.error({ roomId, err: String(error) }, 'matrix: could not set up encryption for the room');
        });
      }
    }
  }

  forget(roomId: string): void {
    this.rooms.delete(roomId);
  }

  /** Decrypts an `m.room.encrypted` event; a failure keeps the SDK's event for the retry when its key arrives. */
  async decrypt(roomId: string, raw: RawEvent): Promise<Decrypted> {
    const event = new MatrixEvent({ ...raw, room_id: roomId } as never);
    await this.options.client.decryptEventIfNeeded(event);
    if (event.isDecryptionFailure() || event.isEncrypted() === false) {
      return { ok: false, event, reason: event.decryptionFailureReason ?? 'not decrypted' };
    }
    return { ok: true, event: clearEvent(raw, event) };
  }

  /** The wire form of an event for an encrypted room; throws rather than return plaintext. */
  async encrypt(roomId: string, type: string, content: Content, txnId: string): Promise<{ type: string; content: Content }> {
    await this.ready;
    const room = this.rooms.get(roomId);
    if (!room?.hasEncryptionStateEvent()) throw new EncryptionUnavailableError(roomId, 'the room\'s encryption settings are not known yet');
    const event = new MatrixEvent({ type, content: structuredClone(content), room_id: roomId, sender: this.options.userId, event_id: `~${roomId}:${txnId}` } as never);
    try {
      // Device lists changed in the last sync (a new phone) are queried first: the SDK only
      // waits for that before a room's first message, and the new device would miss this one.
      await (this.backend as unknown as { outgoingRequestsManager: { doProcessOutgoingRequests(): Promise<void> } }).outgoingRequestsManager.doProcessOutgoingRequests();
      await this.backend.encryptEvent(event, room);
    } catch (error) {
      throw new EncryptionUnavailableError(roomId, error instanceof Error ? error.message : String(error));
    }
    if (!event.isEncrypted() || event.getWireType() !== 'm.room.encrypted') throw new EncryptionUnavailableError(roomId, 'the crypto machine returned no ciphertext');
    // The Megolm ratchet advanced: the send (a PUT) waits for the store to be on disk first
    // (client.ts, fencedFetch), so no index is ever reused after a crash.
    return { type: event.getWireType(), content: event.getWireContent() as Content };
  }

  /** Public identity of this device, for doctor and docs (`/verify` in Element). */
  async ownKeys(): Promise<{ ed25519: string; curve25519: string }> {
    return this.backend.getOwnDeviceKeys();
  }

  get api(): RustCrypto {
    return this.backend;
  }

  async stop(): Promise<void> {
    try {
      await this.store.flush();
    } catch (error) {
      this.options.log.error({ err: String(error) }, 'matrix: could not save the crypto store at stop');
    }
    this.options.client.stopClient(); // stops the Rust machine and closes its IndexedDB connections
    await this.store.close();
  }
}

/** The decrypted event, shaped like a plain one: clear type and content, the original envelope. */
export function clearEvent(raw: RawEvent, event: MatrixEvent): RawEvent {
  const content = { ...(event.getContent() as Content) };
  // Relations stay unencrypted on the wire (spec: m.relates_to is not encrypted); keep them.
  const wireRelation = isRecord(raw.content) ? raw.content['m.relates_to'] : undefined;
  if (content['m.relates_to'] === undefined && wireRelation !== undefined) content['m.relates_to'] = wireRelation;
  return { ...raw, type: event.getType(), content };
}
