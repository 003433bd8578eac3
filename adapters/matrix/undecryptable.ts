/**
 * Encrypted messages Hearth cannot decrypt yet. Usually the room key is just late (it travels
 * separately, by to-device message), so such an event is not dropped: the crypto machine keeps
 * it, looks for the key in Hearth's own server-side key backup, and retries when a key arrives;
 * the event's id (never its ciphertext) is remembered in adapter state so a restart keeps
 * waiting for it.
 *
 * No `m.room_key_request` to the sender: Element does answer one by re-sharing the key, but the
 * Rust crypto refuses a forwarded key it did not request itself, and it requests keys only from
 * the account's own devices (tried; see docs/matrix.md). The sync token can then be acknowledged: the event is either answered when its
 * key arrives, or, after the timeout, the person is told in the room and the event is audited.
 */
import { MatrixEventEvent, type MatrixEvent } from 'matrix-js-sdk';
import type { AdapterContext, AdapterState, Logger } from '../../src/core/index.ts';
import { clearEvent, type Decrypted } from './crypto.ts';
import type { RawEvent } from './wire.ts';

const PENDING_KEY = 'undecryptable';
/** Forget an event whose key never came after this long (the person was told long ago). */
const GIVE_UP_MS = 24 * 60 * 60_000;
const MAX_PENDING = 500;
/** In group rooms the notice is about the room, not one person: at most one per hour. */
const GROUP_NOTICE_INTERVAL_MS = 60 * 60_000;

export const UNDECRYPTABLE_NOTICE =
  'I could not read your last message: its encryption keys did not reach me. Please send it again. ' +
  'If this keeps happening, ask the person who runs Hearth to run `hearth doctor`.';

interface Pending {
  roomId: string;
  eventId: string;
  sender: string;
  firstSeen: number;
  notified: boolean;
  reason: string;
}

export interface UndecryptableDeps {
  state: AdapterState;
  log: Logger;
  audit: AdapterContext['audit'];
  timeoutMs: number;
  /** Hands a now-decrypted event to the normal path (normalize, mentions, receive). */
  deliver(roomId: string, event: RawEvent): Promise<void>;
  /** Posts the notice in the room, in reply to the event. */
  notify(roomId: string, eventId: string): Promise<void>;
  /** Fetches the event again (after a restart) and tries to decrypt it. */
  refetch(roomId: string, eventId: string): Promise<Decrypted | undefined>;
  isDirect(roomId: string): boolean;
  /** The set of waiting events changed (doctor's status file is rewritten). */
  changed(): void;
}

export class UndecryptableEvents {
  private readonly deps: UndecryptableDeps;
  private readonly pending = new Map<string, Pending>();
  private readonly raw = new Map<string, RawEvent>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastNotice = new Map<string, number>();
  private stopped = false;

  constructor(deps: UndecryptableDeps) {
    this.deps = deps;
  }

  /** Picks up events still waiting from before a restart. */
  async load(): Promise<void> {
    const saved = await this.deps.state.get<Pending[]>(PENDING_KEY);
    const now = Date.now();
    for (const entry of Array.isArray(saved) ? saved : []) {
      if (now - entry.firstSeen < GIVE_UP_MS) this.pending.set(entry.eventId, entry);
    }
    for (const entry of [...this.pending.values()]) void this.revive(entry);
  }

  /** An event that did not decrypt in the sync batch. */
  async add(roomId: string, raw: RawEvent, failed: Extract<Decrypted, { ok: false }>): Promise<void> {
    const eventId = raw.event_id!;
    if (this.pending.has(eventId)) return;
    const entry: Pending = { roomId, eventId, sender: raw.sender, firstSeen: Date.now(), notified: false, reason: failed.reason };
    this.pending.set(eventId, entry);
    while (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    await this.save();
    this.deps.log.info({ roomId, eventId, sender: raw.sender, reason: failed.reason }, 'matrix: cannot decrypt a message yet; waiting for its room key');
    this.watch(entry, raw, failed.event);
    this.schedule(entry);
  }

  /** Rooms with messages Hearth could not read, for health and doctor. */
  rooms(): Array<{ roomId: string; count: number }> {
    const counts = new Map<string, number>();
    for (const entry of this.pending.values()) counts.set(entry.roomId, (counts.get(entry.roomId) ?? 0) + 1);
    return [...counts].map(([roomId, count]) => ({ roomId, count }));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private watch(entry: Pending, raw: RawEvent, event: MatrixEvent): void {
    this.raw.set(entry.eventId, raw);
    // The crypto machine retries the event itself when a matching room key arrives.
    const onDecrypted = (decrypted: MatrixEvent, error?: Error) => {
      if (error || decrypted.isDecryptionFailure()) return;
      event.off(MatrixEventEvent.Decrypted, onDecrypted);
      void this.resolved(entry, clearEvent(raw, decrypted));
    };
    event.on(MatrixEventEvent.Decrypted, onDecrypted);
  }

  private async revive(entry: Pending): Promise<void> {
    try {
      const result = await this.deps.refetch(entry.roomId, entry.eventId);
      if (!result) {
        this.pending.delete(entry.eventId);
        await this.save();
        return;
      }
      if (result.ok) return await this.resolved(entry, result.event);
      this.watch(entry, result.event.getEffectiveEvent() as unknown as RawEvent, result.event);
      if (!entry.notified) this.schedule(entry);
    } catch (error) {
      this.deps.log.warn({ roomId: entry.roomId, eventId: entry.eventId, err: String(error) }, 'matrix: could not look at an undecryptable message again; will retry at the next start');
    }
  }

  private async resolved(entry: Pending, event: RawEvent): Promise<void> {
    if (this.stopped || !this.pending.has(entry.eventId)) return;
    this.pending.delete(entry.eventId);
    this.raw.delete(entry.eventId);
    clearTimeout(this.timers.get(entry.eventId));
    this.timers.delete(entry.eventId);
    await this.save();
    this.deps.log.info({ roomId: entry.roomId, eventId: entry.eventId, waitedMs: Date.now() - entry.firstSeen }, 'matrix: the room key arrived; message decrypted');
    try {
      await this.deps.deliver(entry.roomId, event);
    } catch (error) {
      this.deps.log.error({ roomId: entry.roomId, eventId: entry.eventId, err: String(error) }, 'matrix: could not hand a late-decrypted message to the pipeline');
    }
  }

  private schedule(entry: Pending): void {
    if (entry.notified || this.stopped) return;
    const delay = Math.max(0, entry.firstSeen + this.deps.timeoutMs - Date.now());
    const timer = setTimeout(() => void this.expire(entry), delay);
    timer.unref();
    this.timers.set(entry.eventId, timer);
  }

  private async expire(entry: Pending): Promise<void> {
    this.timers.delete(entry.eventId);
    if (this.stopped || !this.pending.has(entry.eventId) || entry.notified) return;
    entry.notified = true;
    await this.save();
    const { roomId, eventId, sender, reason } = entry;
    this.deps.log.warn({ roomId, eventId, sender, reason }, 'matrix: a message stayed undecryptable; telling the person');
    await this.deps.audit({ kind: 'message.undecryptable', subject: sender, detail: { roomId, eventId, reason, waitedMs: Date.now() - entry.firstSeen } });
    const interval = this.deps.isDirect(roomId) ? this.deps.timeoutMs : GROUP_NOTICE_INTERVAL_MS;
    const last = this.lastNotice.get(roomId);
    if (last !== undefined && Date.now() - last < interval) return;
    this.lastNotice.set(roomId, Date.now());
    try {
      await this.deps.notify(roomId, eventId);
    } catch (error) {
      this.deps.log.warn({ roomId, err: String(error) }, 'matrix: could not post the undecryptable-message notice');
    }
  }

  private async save(): Promise<void> {
    await this.deps.state.set(PENDING_KEY, [...this.pending.values()]);
    this.deps.changed();
  }
}
