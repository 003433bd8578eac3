/**
 * Hearth on Matrix: one bot account on a self-hosted homeserver (Synapse, Conduit, Dendrite),
 * logged in with an access token, living in the rooms and DMs it is invited to by people Hearth
 * knows. matrix-js-sdk does the HTTP (auth, errors, endpoints); the adapter drives /sync itself so
 * it can acknowledge the sync token only after the pipeline journaled each event (see sync.ts).
 */
import { EventType, type MatrixClient } from 'matrix-js-sdk';
import {
  PlatformConfigError,
  PlatformRejectedError,
  type Adapter,
  type AdapterCapabilities,
  type AdapterContext,
  type ConversationRef,
  type DoctorCheck,
  type HealthReport,
  type OutboundMessage,
  type SentMessage,
} from '../../src/core/index.ts';
import { checkIdentity, configProblem, createClient, cryptoDirOf, fencedFetch } from './client.ts';
import { PLATFORM, toPlatformError } from './errors.ts';
import { EncryptionUnavailableError, type MatrixCrypto } from './crypto.ts';
import { SecretKeyHolder, setUpTrust } from './crypto-setup.ts';
import { openDirect } from './direct.ts';
import { checkCrypto, checkEncryptedRooms } from './doctor.ts';
import { ENCRYPTED_NOTICE, EncryptedRooms } from './encryption.ts';
import { startEncryption } from './encryption-start.ts';
import type { UndecryptableEvents } from './undecryptable.ts';
import type { RawEvent } from './wire.ts';
import { Outgoing } from './outgoing.ts';
import { RoomDirectory } from './rooms.ts';
import { routeGlobalSdkLogging, sdkLogger } from './sdk-log.ts';
import { SyncLoop } from './sync.ts';

export interface MatrixAdapterOptions {
  /** Client-server API base URL, e.g. https://matrix.example.org (MATRIX_HOMESERVER_URL). */
  homeserverUrl: string;
  /** The bot account, e.g. @hearth:example.org (MATRIX_USER_ID). */
  userId: string;
  /** The bot's access token (MATRIX_ACCESS_TOKEN). Never logged. */
  accessToken: string;
  /**
   * End-to-end encryption through the SDK's Rust crypto (MATRIX_ENCRYPTION, default on). Off:
   * Hearth tells people in encrypted rooms that it cannot read them (encryption.ts).
   */
  encryption?: boolean;
  /** Folder of the crypto store, recovery key file and status (default `<HEARTH_DATA_DIR>/matrix`). */
  cryptoDir?: string;
  /**
   * The recovery key of an earlier device (MATRIX_RECOVERY_KEY): a new device then takes over
   * Hearth's cross-signing identity and restores room keys from the server-side backup.
   */
  recoveryKey?: string;
  /** Share room keys only with (and read only from) devices their owner verified (MATRIX_VERIFIED_DEVICES_ONLY). */
  verifiedDevicesOnly?: boolean;
  /** How long an undecryptable message waits for its key before the person is told. Default 60 s. */
  undecryptableTimeoutMs?: number;
  /** Long-poll timeout of /sync. Default 30 s. */
  syncTimeoutMs?: number;
  /** First wait after a failed sync or send; doubles per failure. Default 1 s. */
  backoffInitialMs?: number;
  /** Longest wait between sync attempts while the homeserver is down. Default 60 s. */
  backoffMaxMs?: number;
  /** Longest total wait for rate limits inside one send before the outbox gets the error. Default 60 s. */
  maxRetryWaitMs?: number;
  /** Timeout of one ordinary request (not the long poll). Default 30 s. */
  requestTimeoutMs?: number;
}

/**
 * maxMessageLength: an event must stay under 64 KiB (UTF-8 JSON, envelope included). An edit
 * holds the text twice (fallback + m.new_content) plus its HTML; 5,000 characters keep even CJK
 * text with HTML escaping under the limit, and outgoing.ts checks the real byte size anyway.
 */
export const MATRIX_CAPABILITIES: AdapterCapabilities = {
  maxMessageLength: 5_000,
  markdown: 'matrix-html',
  canEdit: true,
  hasTyping: true,
  hasThreads: true,
  typingRefreshMs: 20_000, // typing notifications are sent with a 30 s timeout
  minEditIntervalMs: 1_500, // Synapse's default message rate limit is ~0.2/s sustained, burst 10
};

export function createMatrixAdapter(options: MatrixAdapterOptions): Adapter {
  let client: MatrixClient | undefined;
  let outgoing: Outgoing | undefined;
  let loop: SyncLoop | undefined;
  let rooms: RoomDirectory | undefined;
  let encrypted: EncryptedRooms | undefined;
  let crypto: MatrixCrypto | undefined;
  let undecryptable: UndecryptableEvents | undefined;
  let globalName: string | undefined;
  /** The one-time cross-signing and backup setup, running beside the sync loop. */
  let trust: Promise<void> | undefined;
  let stopping = false;
  const wantCrypto = options.encryption ?? true;
  const cryptoDir = cryptoDirOf(options);

  const ready = () => {
    if (!outgoing || !client || !rooms) throw new PlatformRejectedError(PLATFORM, 'the Matrix adapter is not started');
    return { outgoing, client, rooms };
  };

  return {
    platform: PLATFORM,
    // One sync loop and one device (with its own crypto store): only one Hearth process may run it.
    exclusive: true,
    capabilities: MATRIX_CAPABILITIES,

    async start(context: AdapterContext): Promise<void> {
      const problem = configProblem(options);
      if (problem) throw problem;
      const log = context.log.child({ platform: PLATFORM });
      routeGlobalSdkLogging(log);
      const secrets = new SecretKeyHolder(options.recoveryKey);
      client = createClient(options, {
        logger: sdkLogger(log),
        fetchFn: fencedFetch(() => crypto?.store.flush()),
        cryptoCallbacks: secrets.callbacks,
      });
      const c = client;
      const directory = new RoomDirectory(client);
      rooms = directory;
      const abort = new AbortController();
      outgoing = new Outgoing({
        client,
        ownUserId: options.userId,
        log,
        maxRetryWaitMs: options.maxRetryWaitMs ?? 60_000,
        backoffInitialMs: options.backoffInitialMs ?? 1_000,
        signal: abort.signal,
        async wire(roomId, type, content, txnId) {
          await directory.ensure(roomId);
          if (!directory.isEncrypted(roomId)) return { type, content };
          if (crypto) {
            try {
              // Sharing only with cross-signed devices needs Hearth's own cross-signing first.
              if (options.verifiedDevicesOnly) await trust;
              return await crypto.encrypt(roomId, type, content, txnId);
            } catch (error) {
              log.error({ roomId, err: (error as Error).message }, 'matrix: not sending: the message could not be encrypted for this end-to-end encrypted room');
              throw error;
            }
          }
          // Encryption switched off by the owner: only the fixed "I cannot read this room" notice
          // (nothing from anyone's conversation) may go into an encrypted room.
          if (content.msgtype === 'm.notice' && content.body === ENCRYPTED_NOTICE) return { type, content };
          log.error({ roomId }, 'matrix: not sending into an end-to-end encrypted room while MATRIX_ENCRYPTION is off');
          throw new EncryptionUnavailableError(roomId, 'encryption is switched off (MATRIX_ENCRYPTION=false)');
        },
      });
      const out = outgoing;
      encrypted = new EncryptedRooms({
        log,
        state: context.state,
        async notify(roomId) {
          try {
            await out.notice(roomId, ENCRYPTED_NOTICE);
          } catch (raw) {
            const error = toPlatformError(raw, 'encryption notice');
            if (!(error instanceof PlatformRejectedError)) throw error;
            log.warn({ roomId, err: error.message }, 'matrix: could not post the encryption notice');
          }
        },
      });
      await encrypted.load();

      let saveStatus = async () => {};
      const encryptionDeps = {
        client: c,
        context,
        log,
        directory,
        outgoing: out,
        dir: cryptoDir,
        userId: options.userId,
        verifiedDevicesOnly: options.verifiedDevicesOnly ?? false,
        undecryptableTimeoutMs: options.undecryptableTimeoutMs ?? 60_000,
        deliver: async (roomId: string, event: RawEvent) => loop?.deliverDecrypted(roomId, event),
        stopping: () => stopping,
      };

      const connect = async () => {
        const deviceId = await checkIdentity(c, options);
        if (wantCrypto && !crypto) {
          const started = await startEncryption(encryptionDeps, deviceId);
          ({ crypto, undecryptable, saveStatus } = started);
        }
        globalName = (await c.getProfileInfo(options.userId).catch(() => ({ displayname: undefined }))).displayname;
        try {
          directory.setDirect(await c.getAccountDataFromServer(EventType.Direct));
        } catch (raw) {
          const error = toPlatformError(raw, 'read m.direct');
          if (!(error instanceof PlatformRejectedError)) throw error;
          log.debug({ err: error.message }, 'matrix: no m.direct account data; DMs are recognised by member count');
        }
      };
      loop = new SyncLoop({
        client,
        context,
        log,
        ownUserId: options.userId,
        rooms: directory,
        encrypted,
        get crypto() {
          return crypto;
        },
        get undecryptable() {
          return undecryptable;
        },
        outgoing,
        botNames(roomId) {
          const names = [directory.displayName(roomId, options.userId), globalName, options.userId.slice(1).split(':')[0]];
          return [...new Set(names.filter((n): n is string => !!n))];
        },
        timeoutMs: options.syncTimeoutMs ?? 30_000,
        backoffInitialMs: options.backoffInitialMs ?? 1_000,
        backoffMaxMs: options.backoffMaxMs ?? 60_000,
        afterSync: async () => {
          if (!crypto || trust) return;
          // After the first sync, once the device keys are uploaded; runs beside the sync loop.
          trust = setUpTrust(crypto, secrets, cryptoDir, log).then(() => saveStatus());
        },
      });
      loop.signal.addEventListener('abort', () => abort.abort(), { once: true });
      await loop.start(connect);
    },

    async stop(): Promise<void> {
      undecryptable?.stop();
      await loop?.stop();
      await trust; // never close the crypto machine in the middle of its setup
      stopping = true;
      client?.http.abort();
      await crypto?.stop();
      client?.stopClient();
      crypto = undefined;
      undecryptable = undefined;
      trust = undefined;
      stopping = false;
    },

    send(message: OutboundMessage): Promise<SentMessage> {
      return ready().outgoing.send(message);
    },

    edit(conversation: ConversationRef, messageId: string, text: string): Promise<void> {
      return ready().outgoing.edit(conversation, messageId, text);
    },

    sendTyping(conversation: ConversationRef): Promise<void> {
      return ready().outgoing.typing(conversation);
    },

    deleteMessage(conversation: ConversationRef, messageId: string): Promise<void> {
      return ready().outgoing.redact(conversation, messageId);
    },

    /** A DM with someone Hearth knows: their existing one, or a new (encrypted) room. */
    openDirect(accountId: string): Promise<ConversationRef> {
      const { client: c, rooms: directory } = ready();
      return openDirect({ client: c, rooms: directory, ownUserId: options.userId, encrypted: crypto !== undefined }, accountId);
    },

    health(): HealthReport {
      if (!loop) return { ok: false, detail: 'not started' };
      const status = loop.status;
      const unreadable = encrypted?.list() ?? [];
      let note = unreadable.length
        ? `; cannot read ${unreadable.length} end-to-end encrypted room(s): ${unreadable.map((r) => r.title ?? r.roomId).join(', ')}`
        : '';
      if (crypto) note += `; end-to-end encryption on (device ${crypto.deviceId})`;
      const waiting = undecryptable?.rooms() ?? [];
      if (waiting.length) note += `; waiting for room keys in ${waiting.length} room(s)`;
      return { ok: status.state === 'syncing', detail: status.detail + note };
    },

    async doctor(): Promise<DoctorCheck[]> {
      const problem = configProblem(options);
      if (problem) return [{ name: 'matrix configuration', ok: false, detail: problem.message, fix: problem.fix }];
      const probe = createClient(options);
      const checks: DoctorCheck[] = [];
      try {
        const versions = await probe.getVersions();
        checks.push({ name: 'matrix homeserver', ok: true, detail: `${options.homeserverUrl} speaks ${versions.versions.at(-1) ?? 'the client-server API'}` });
      } catch (raw) {
        const error = toPlatformError(raw, 'versions');
        return [{ name: 'matrix homeserver', ok: false, detail: error.message, fix: 'check MATRIX_HOMESERVER_URL and that the homeserver is running and reachable from this machine' }];
      }
      let deviceId: string | undefined;
      try {
        deviceId = await checkIdentity(probe, options);
        checks.push({ name: 'matrix access token', ok: true, detail: `logged in as ${options.userId}${deviceId ? ` (device ${deviceId})` : ''}` });
      } catch (raw) {
        const error = toPlatformError(raw, 'whoami');
        checks.push({ name: 'matrix access token', ok: false, detail: error.message, fix: error instanceof PlatformConfigError ? error.fix : 'retry when the homeserver is reachable' });
        return checks;
      }
      if (wantCrypto) checks.push(...(await checkCrypto(probe, { userId: options.userId, deviceId, dir: cryptoDir })));
      else checks.push(await checkEncryptedRooms(probe, encrypted?.list() ?? []));
      return checks;
    },
  };
}
