/**
 * Hearth on Matrix: one bot account on a self-hosted homeserver (Synapse, Conduit, Dendrite),
 * logged in with an access token, living in the rooms and DMs it is invited to by people Hearth
 * knows. matrix-js-sdk does the HTTP (auth, errors, endpoints); the adapter drives /sync itself so
 * it can acknowledge the sync token only after the pipeline journaled each event (see sync.ts).
 */
import { EventType, MatrixClient } from 'matrix-js-sdk';
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
import { PLATFORM, toPlatformError } from './errors.ts';
import { checkEncryptedRooms } from './doctor.ts';
import { ENCRYPTED_NOTICE, EncryptedRooms } from './encryption.ts';
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
   * End-to-end encryption through the SDK's Rust crypto (initRustCrypto). Not supported yet:
   * `true` fails at start with a clear message. See encryption.ts for how it will slot in.
   */
  encryption?: boolean;
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

function configProblem(options: MatrixAdapterOptions): PlatformConfigError | undefined {
  if (!options.homeserverUrl || !/^https?:\/\//.test(options.homeserverUrl)) {
    return new PlatformConfigError(PLATFORM, 'MATRIX_HOMESERVER_URL is missing or not an http(s) URL', 'set MATRIX_HOMESERVER_URL to your homeserver\'s client URL, e.g. https://matrix.example.org');
  }
  if (!options.userId || !/^@[^:\s]+:\S+$/.test(options.userId)) {
    return new PlatformConfigError(PLATFORM, 'MATRIX_USER_ID is missing or not a Matrix user id', 'set MATRIX_USER_ID to the bot account\'s full id, e.g. @hearth:example.org');
  }
  if (!options.accessToken) {
    return new PlatformConfigError(PLATFORM, 'MATRIX_ACCESS_TOKEN is missing', 'log in as the bot account and put its access token in MATRIX_ACCESS_TOKEN (see the Matrix section of the README)');
  }
  return undefined;
}

function createClient(options: MatrixAdapterOptions, context?: Pick<AdapterContext, 'log'>): MatrixClient {
  return new MatrixClient({
    baseUrl: options.homeserverUrl,
    userId: options.userId,
    accessToken: options.accessToken,
    localTimeoutMs: options.requestTimeoutMs ?? 30_000,
    ...(context ? { logger: sdkLogger(context.log) } : {}),
  });
}

/** whoami: the token is valid and belongs to the configured account. */
async function checkIdentity(client: MatrixClient, options: MatrixAdapterOptions): Promise<void> {
  let userId: string;
  try {
    userId = (await client.whoami()).user_id;
  } catch (raw) {
    const error = toPlatformError(raw, 'whoami');
    if (error instanceof PlatformRejectedError) {
      throw new PlatformConfigError(
        PLATFORM,
        `the homeserver refused to say who the token belongs to (${error.description})`,
        'check that MATRIX_HOMESERVER_URL is the client API URL (https://matrix.example.org, not a web client) and that the bot account is active',
        { cause: error },
      );
    }
    throw error;
  }
  if (userId !== options.userId) {
    throw new PlatformConfigError(
      PLATFORM,
      `MATRIX_ACCESS_TOKEN belongs to ${userId}, not to MATRIX_USER_ID ${options.userId}`,
      'use an access token of the bot account, or set MATRIX_USER_ID to the account the token belongs to',
    );
  }
}

export function createMatrixAdapter(options: MatrixAdapterOptions): Adapter {
  let client: MatrixClient | undefined;
  let outgoing: Outgoing | undefined;
  let loop: SyncLoop | undefined;
  let encrypted: EncryptedRooms | undefined;
  let globalName: string | undefined;

  const ready = () => {
    if (!outgoing) throw new PlatformRejectedError(PLATFORM, 'the Matrix adapter is not started');
    return outgoing;
  };

  return {
    platform: PLATFORM,
    capabilities: MATRIX_CAPABILITIES,

    async start(context: AdapterContext): Promise<void> {
      const problem = configProblem(options);
      if (problem) throw problem;
      if (options.encryption) {
        throw new PlatformConfigError(
          PLATFORM,
          'end-to-end encryption (MATRIX_ENCRYPTION) is not supported yet',
          'turn the encryption option off; Hearth will tell people in encrypted rooms that it cannot read them',
        );
      }
      const log = context.log.child({ platform: PLATFORM });
      routeGlobalSdkLogging(log);
      client = createClient(options, { log });
      const rooms = new RoomDirectory(client);
      const abort = new AbortController();
      outgoing = new Outgoing({
        client,
        ownUserId: options.userId,
        log,
        maxRetryWaitMs: options.maxRetryWaitMs ?? 60_000,
        backoffInitialMs: options.backoffInitialMs ?? 1_000,
        signal: abort.signal,
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
      const c = client;
      const connect = async () => {
        await checkIdentity(c, options);
        globalName = (await c.getProfileInfo(options.userId).catch(() => ({ displayname: undefined }))).displayname;
        try {
          rooms.setDirect(await c.getAccountDataFromServer(EventType.Direct));
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
        rooms,
        encrypted,
        outgoing,
        botNames(roomId) {
          const names = [rooms.displayName(roomId, options.userId), globalName, options.userId.slice(1).split(':')[0]];
          return [...new Set(names.filter((n): n is string => !!n))];
        },
        timeoutMs: options.syncTimeoutMs ?? 30_000,
        backoffInitialMs: options.backoffInitialMs ?? 1_000,
        backoffMaxMs: options.backoffMaxMs ?? 60_000,
      });
      loop.signal.addEventListener('abort', () => abort.abort(), { once: true });
      await loop.start(connect);
    },

    async stop(): Promise<void> {
      await loop?.stop();
      client?.http.abort();
      client?.stopClient();
    },

    send(message: OutboundMessage): Promise<SentMessage> {
      return ready().send(message);
    },

    edit(conversation: ConversationRef, messageId: string, text: string): Promise<void> {
      return ready().edit(conversation, messageId, text);
    },

    sendTyping(conversation: ConversationRef): Promise<void> {
      return ready().typing(conversation);
    },

    health(): HealthReport {
      if (!loop) return { ok: false, detail: 'not started' };
      const status = loop.status;
      const rooms = encrypted?.list() ?? [];
      const note = rooms.length
        ? `; cannot read ${rooms.length} end-to-end encrypted room(s): ${rooms.map((r) => r.title ?? r.roomId).join(', ')}`
        : '';
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
      try {
        await checkIdentity(probe, options);
        checks.push({ name: 'matrix access token', ok: true, detail: `logged in as ${options.userId}` });
      } catch (raw) {
        const error = toPlatformError(raw, 'whoami');
        checks.push({ name: 'matrix access token', ok: false, detail: error.message, fix: error instanceof PlatformConfigError ? error.fix : 'retry when the homeserver is reachable' });
        return checks;
      }
      checks.push(await checkEncryptedRooms(probe, encrypted?.list() ?? []));
      return checks;
    },
  };
}

