/**
 * The /sync loop, driven by the adapter rather than by MatrixClient.startClient(): that lets the
 * sync token be acknowledged (stored in context.state) only after every event of the batch is
 * durably journaled by receive(). A crash mid-batch repeats the batch; the journal deduplicates by
 * event id, so nothing is answered twice and nothing is lost.
 *
 * - First start (no stored token): one sync with timeout 0 learns rooms and accepts invites, but
 *   its timelines are backlog from before Hearth was set up and are not answered.
 * - Restart: sync from the stored token. A `limited` timeline means the gap was too long for one
 *   response; the gap is filled from /messages, forward from the last acknowledged token.
 * - Homeserver down or 5xx: exponential backoff with jitter; 429 waits retry_after_ms;
 *   M_UNKNOWN_TOKEN stops the loop with a PlatformConfigError (retrying cannot fix it).
 */
import { Direction, Method, type IRequestOpts, type MatrixClient } from 'matrix-js-sdk';
import { handOver, PlatformConfigError, PlatformRateLimitedError, PlatformRejectedError, type AdapterContext, type Logger } from '../../src/core/index.ts';
import { sleep, toPlatformError } from './errors.ts';
import type { MatrixCrypto } from './crypto.ts';
import type { EncryptedRooms } from './encryption.ts';
import { handleInvite } from './invites.ts';
import { classify, normalizeMessage, replyTarget } from './normalize.ts';
import type { Outgoing } from './outgoing.ts';
import type { RoomDirectory } from './rooms.ts';
import type { UndecryptableEvents } from './undecryptable.ts';
import { stringField, type JoinedRoomSync, type RawEvent, type SyncResponse } from './wire.ts';

const TOKEN_KEY = 'sync';
const GAP_PAGE_SIZE = 100;
const GAP_MAX_PAGES = 10;
/** Events per room per sync; larger gaps are filled from /messages. */
const TIMELINE_LIMIT = 50;

interface SavedSync {
  token: string;
  /** When this batch was acknowledged (ms since epoch), for diagnostics. */
  at: number;
}

export interface SyncDeps {
  client: MatrixClient;
  context: AdapterContext;
  log: Logger;
  ownUserId: string;
  rooms: RoomDirectory;
  /** Encrypted rooms Hearth cannot read (encryption switched off by the owner). */
  encrypted: EncryptedRooms;
  /** End-to-end encryption, when on; then `undecryptable` is set too. */
  crypto?: MatrixCrypto;
  undecryptable?: UndecryptableEvents;
  outgoing: Outgoing;
  /** Names the bot answers to in a room (room display name, global display name). */
  botNames(roomId: string): string[];
  timeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Called after each acknowledged batch (the crypto layer starts its one-time setup). */
  afterSync?(): Promise<void>;
}

export type SyncStatus =
  | { state: 'starting' | 'syncing' | 'stopped'; detail: string }
  | { state: 'retrying'; detail: string; failures: number }
  | { state: 'failed'; detail: string; error: PlatformConfigError };

export class SyncLoop {
  status: SyncStatus = { state: 'starting', detail: 'connecting to the homeserver' };
  private readonly deps: SyncDeps;
  private readonly abort = new AbortController();
  private since: string | undefined;
  private filter: string = JSON.stringify(filterDefinition());
  private running: Promise<void> | undefined;

  constructor(deps: SyncDeps) {
    this.deps = deps;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Loads the stored token; on first start, takes the initial snapshot (not answered). */
  async start(connect: () => Promise<void>): Promise<void> {
    const saved = await this.deps.context.state.get<SavedSync>(TOKEN_KEY);
    this.since = saved?.token;
    let connected = false;
    try {
      await connect();
      connected = true;
      try {
        this.filter = (await this.deps.client.createFilter(filterDefinition())).filterId ?? this.filter;
      } catch (raw) {
        // A stored filter only saves bytes per request; the inline JSON filter works everywhere.
        this.deps.log.debug({ err: toPlatformError(raw, 'create filter').message }, 'matrix: using an inline sync filter');
      }
      if (this.since === undefined) await this.syncOnce(0);
    } catch (raw) {
      const error = toPlatformError(raw, 'connect');
      if (error instanceof PlatformConfigError) throw error;
      this.deps.log.warn({ err: error.message }, 'matrix: homeserver not reachable at start; will keep retrying');
    }
    this.running = this.loop(connected ? undefined : connect);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.status = { state: 'stopped', detail: 'stopped' };
  }

  private async loop(pendingConnect: (() => Promise<void>) | undefined): Promise<void> {
    let failures = 0;
    let rejectedToken = 0;
    let catchUp = true; // the first sync after start returns at once with what arrived while down
    while (!this.abort.signal.aborted) {
      try {
        if (pendingConnect) {
          await pendingConnect();
          pendingConnect = undefined;
        }
        await this.syncOnce(catchUp || failures > 0 ? 0 : this.deps.timeoutMs);
        if (failures > 0) this.deps.log.info({ failures }, 'matrix: sync recovered');
        failures = 0;
        rejectedToken = 0;
        catchUp = false;
      } catch (raw) {
        if (this.abort.signal.aborted) break;
        const error = toPlatformError(raw, 'sync');
        if (error instanceof PlatformConfigError) {
          this.status = { state: 'failed', detail: error.message, error };
          this.deps.log.error({ fix: error.fix }, error.message);
          return;
        }
        rejectedToken = error instanceof PlatformRejectedError && error.status === 400 && this.since !== undefined ? rejectedToken + 1 : 0;
        if (rejectedToken >= 3) {
          // The homeserver keeps refusing our token (its database was reset or restored): start
          // over as on a first start rather than retry a token that will never work.
          rejectedToken = 0;
          this.deps.log.error({ err: error.message }, 'matrix: the homeserver rejected the stored sync token; starting a fresh sync (messages sent meanwhile are not answered)');
          this.since = undefined;
          continue;
        }
        failures++;
        const backoff = Math.min(this.deps.backoffMaxMs, this.deps.backoffInitialMs * 2 ** Math.min(failures - 1, 20));
        const delay = error instanceof PlatformRateLimitedError ? Math.max(error.retryAfterMs, this.deps.backoffInitialMs) : backoff * (0.75 + Math.random() / 2);
        this.status = { state: 'retrying', detail: `${error.message}; retrying in ${Math.round(delay / 1000)} s`, failures };
        const fields = { failures, delayMs: Math.round(delay) };
        if (failures > 3) this.deps.log.error(fields, `matrix: ${error.message}`);
        else this.deps.log.warn(fields, `matrix: ${error.message}`);
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private async syncOnce(timeoutMs: number): Promise<void> {
    const query: Record<string, string> = { filter: this.filter, timeout: String(timeoutMs) };
    if (this.since !== undefined) query.since = this.since;
    const response = await this.deps.client.http.authedRequest<SyncResponse>(Method.Get, '/sync', query, undefined, {
      abortSignal: this.abort.signal,
      // A long poll that outlives its timeout by this much is a dead connection.
      localTimeoutMs: timeoutMs + 30_000,
    } as IRequestOpts); // (the SDK's type wants `priority`, which Node's RequestInit marks required)
    if (typeof response?.next_batch !== 'string') throw new Error('sync response without next_batch');
    const { crypto } = this.deps;
    // Room keys arrive as to-device events: the machine takes them before the timeline is read.
    if (crypto) await crypto.processSync(response);
    await this.processBatch(response, this.since === undefined);
    // The keys of this batch are on disk before the homeserver is told it may forget them.
    if (crypto) await crypto.store.flush();
    const at = Date.now();
    await this.deps.context.state.set(TOKEN_KEY, { token: response.next_batch, at } satisfies SavedSync);
    this.since = response.next_batch;
    crypto?.syncDone();
    await this.deps.afterSync?.();
    this.status = { state: 'syncing', detail: `syncing as ${this.deps.ownUserId}` };
  }

  private async processBatch(response: SyncResponse, initial: boolean): Promise<void> {
    const { rooms, ownUserId } = this.deps;
    for (const event of response.account_data?.events ?? []) if (event.type === 'm.direct') rooms.setDirect(event.content);
    for (const roomId of Object.keys(response.rooms?.leave ?? {})) {
      rooms.forget(roomId);
      this.deps.crypto?.forget(roomId);
    }
    for (const [roomId, invite] of Object.entries(response.rooms?.invite ?? {})) {
      await handleInvite(this.deps, roomId, invite);
    }
    let backlog = 0;
    for (const [roomId, joined] of Object.entries(response.rooms?.join ?? {})) {
      if (!initial) {
        await this.processRoom(roomId, joined);
        continue;
      }
      const timeline = joined.timeline?.events ?? [];
      rooms.applyState(roomId, [...(joined.state?.events ?? []), ...timeline.filter((e) => e.state_key !== undefined)], true);
      if (rooms.isEncrypted(roomId) && !this.deps.crypto) await this.deps.encrypted.seen(roomId, { tellPeople: false, title: rooms.title(roomId) });
      backlog += timeline.filter((e) => classify(e, ownUserId).kind !== 'skip').length;
    }
    if (backlog > 0) this.deps.log.info({ messages: backlog }, 'matrix: first start; not answering messages sent before Hearth was connected');
  }

  private async processRoom(roomId: string, joined: JoinedRoomSync): Promise<void> {
    const { rooms, ownUserId } = this.deps;
    // After a restart (or a new join) the batch holds only a state delta: fetch the full state
    // once. That state is current, so the batch's older state events are not applied over it.
    const fetched = !rooms.isComplete(roomId);
    if (fetched) await rooms.ensure(roomId);
    else rooms.applyState(roomId, joined.state?.events ?? []);
    const events = joined.timeline?.events ?? [];
    const ownJoin = events.findLastIndex((e) => isOwnJoin(e, ownUserId));
    // A timeline that starts before the bot's own join is history from before it was there.
    if (ownJoin < 0 && joined.timeline?.limited) await this.fillGap(roomId, events[0]?.event_id);

    const encryptionChanged = ownJoin >= 0 || events.some((e) => e.type === 'm.room.encryption') || (joined.state?.events ?? []).some((e) => e.type === 'm.room.encryption');
    for (const [index, event] of events.entries()) {
      if (event.state_key !== undefined && !fetched) rooms.applyState(roomId, [event]);
      if (index > ownJoin) await this.handleEvent(roomId, event);
    }
    if (rooms.isEncrypted(roomId) && !this.deps.crypto) await this.deps.encrypted.seen(roomId, { tellPeople: encryptionChanged, title: rooms.title(roomId) });
  }

  /**
   * Messages a `limited` timeline left out: page forward through /messages from the last
   * acknowledged sync token (the spec allows a next_batch as `from`) up to the first event the
   * timeline did carry. Pages by stream position, not time, so nothing from before the last
   * acknowledged batch (first-start backlog, history before the bot joined) comes back.
   */
  private async fillGap(roomId: string, firstInTimeline: string | undefined): Promise<void> {
    if (this.since === undefined) return;
    const missed: RawEvent[] = [];
    let token: string | undefined = this.since;
    let complete = false;
    for (let page = 0; page < GAP_MAX_PAGES && token && !complete; page++) {
      const response = await this.deps.outgoing.history(roomId, token, GAP_PAGE_SIZE, Direction.Forward);
      const chunk = (response.chunk ?? []) as unknown as RawEvent[];
      for (const event of chunk) {
        if (event.event_id === firstInTimeline) {
          complete = true;
          break;
        }
        missed.push(event);
      }
      if (chunk.length === 0 || !response.end) complete = true;
      token = response.end;
    }
    if (!complete) this.deps.log.warn({ roomId, fetched: missed.length }, 'matrix: very long gap since the last sync; later messages in it are not answered');
    this.deps.log.info({ roomId, events: missed.length }, 'matrix: filling a gap in the room timeline');
    for (const event of missed) await this.handleEvent(roomId, event);
  }

  private async handleEvent(roomId: string, event: RawEvent): Promise<void> {
    const { rooms, crypto, undecryptable } = this.deps;
    if (!event.event_id) return;
    if (!this.wanted(roomId, event)) return;
    if (!rooms.isComplete(roomId)) await rooms.ensure(roomId);
    if (event.type !== 'm.room.encrypted') return this.handleMessage(roomId, event);
    if (!crypto || !undecryptable) {
      await this.deps.encrypted.seen(roomId, { tellPeople: true, title: rooms.title(roomId) });
      return;
    }
    const decrypted = await crypto.decrypt(roomId, event);
    if (!decrypted.ok) return undecryptable.add(roomId, event, decrypted);
    await this.deliverDecrypted(roomId, decrypted.event);
  }

  /** A decrypted event (now, or later when its key arrived) takes the plain path. */
  async deliverDecrypted(roomId: string, event: RawEvent): Promise<void> {
    if (this.wanted(roomId, event)) await this.handleMessage(roomId, event);
  }

  private wanted(roomId: string, event: RawEvent): boolean {
    const { ownUserId, outgoing, log } = this.deps;
    const kind = classify(event, ownUserId);
    if (kind.kind !== 'skip') return true;
    if (event.sender === ownUserId && event.event_id) outgoing.rememberOwn(event.event_id);
    log.trace({ roomId, eventId: event.event_id, reason: kind.reason }, 'matrix: not a message for Hearth');
    return false;
  }

  private async handleMessage(roomId: string, event: RawEvent): Promise<void> {
    const { rooms, ownUserId, outgoing, log } = this.deps;
    if (!rooms.isComplete(roomId)) await rooms.ensure(roomId);
    const target = replyTarget(event.content);
    const replyToBot = target ? await outgoing.isOwn(roomId, target.eventId) : false;
    const title = rooms.title(roomId);
    const senderName = rooms.displayName(roomId, event.sender);
    const botNames = this.deps.botNames(roomId);
    const kind = rooms.kind(roomId);
    // An event that cannot be read or journaled is set aside, so the sync token can move past it.
    const outcome = await handOver(this.deps.context, { eventId: String(event.event_id), payload: event }, () =>
      normalizeMessage(event, { roomId, ownUserId, botNames, kind, replyToBot, ...(title ? { title } : {}), ...(senderName ? { senderName } : {}) }) ?? undefined,
    );
    log.debug({ roomId, eventId: event.event_id, outcome }, 'matrix: message handed to the pipeline');
  }
}

function isOwnJoin(event: RawEvent, ownUserId: string): boolean {
  if (event.type !== 'm.room.member' || event.state_key !== ownUserId) return false;
  if (stringField(event.content, 'membership') !== 'join') return false;
  // A display name change is also a join event; only a real join starts the bot's history.
  const prev = event.unsigned?.prev_content;
  return stringField(prev, 'membership') !== 'join';
}

/** Only what Hearth reads: no presence, no typing/receipts, m.direct from account data. */
function filterDefinition() {
  return {
    presence: { not_types: ['*'] },
    account_data: { types: ['m.direct'] },
    room: {
      timeline: { limit: TIMELINE_LIMIT },
      ephemeral: { not_types: ['*'] },
      account_data: { not_types: ['*'] },
      state: { lazy_load_members: false },
    },
  };
}
