/**
 * The adapter's MatrixClient and the checks around it: configuration problems named by their
 * setting, `whoami` (the token is the configured account's; which device it is), and the fetch
 * that keeps the crypto store ahead of what the homeserver is told.
 */
import { join } from 'node:path';
import { MatrixClient, type ICreateClientOpts } from 'matrix-js-sdk';
import { PlatformConfigError, PlatformRejectedError } from '../../src/core/index.ts';
import { PLATFORM, toPlatformError } from './errors.ts';
import type { MatrixAdapterOptions } from './index.ts';

export function configProblem(options: MatrixAdapterOptions): PlatformConfigError | undefined {
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

export function createClient(options: MatrixAdapterOptions, extra: Partial<ICreateClientOpts> = {}): MatrixClient {
  return new MatrixClient({
    baseUrl: options.homeserverUrl,
    userId: options.userId,
    accessToken: options.accessToken,
    localTimeoutMs: options.requestTimeoutMs ?? 30_000,
    ...extra,
  });
}

/**
 * Requests that publish what the crypto store holds (key uploads, to-device room keys, encrypted
 * messages, signatures) wait until the store is on disk: after a crash the homeserver never has
 * keys this device forgot. Reads and typing go straight through.
 */
export function fencedFetch(flush: () => Promise<void> | undefined): typeof globalThis.fetch {
  return async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (method !== 'GET' && !/\/typing\/|\/receipt\/|\/read_markers/.test(url)) await flush();
    return globalThis.fetch(input, init);
  };
}

export function cryptoDirOf(options: MatrixAdapterOptions): string {
  return options.cryptoDir ?? join('data', 'matrix');
}

/** whoami: the token is valid and belongs to the configured account; returns its device. */
export async function checkIdentity(client: MatrixClient, options: MatrixAdapterOptions): Promise<string | undefined> {
  let userId: string;
  let deviceId: string | undefined;
  try {
    const who = await client.whoami();
    userId = who.user_id;
    deviceId = who.device_id;
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
  return deviceId;
}
