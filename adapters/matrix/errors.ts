/**
 * Turns matrix-js-sdk failures into the core's platform errors, so the outbox can tell "retry
 * later" from "fix your config" from "the homeserver said no". Messages never carry the token:
 * the SDK's own messages include the request URL, so only errcode and error text are kept.
 */
import { ConnectionError, MatrixError, HTTPError } from 'matrix-js-sdk';
import {
  PlatformConfigError,
  PlatformRateLimitedError,
  PlatformRejectedError,
  PlatformUnreachableError,
} from '../../src/core/index.ts';

export const PLATFORM = 'matrix';

/** Synapse's default when a 429 carries neither Retry-After nor retry_after_ms. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

export function unknownTokenError(cause?: unknown): PlatformConfigError {
  return new PlatformConfigError(
    PLATFORM,
    'the homeserver does not accept the access token (M_UNKNOWN_TOKEN): it was logged out, revoked or mistyped',
    'create a new access token for the bot account (see the Matrix section of the README: log in as the bot, ' +
      'copy its access token) and put it in MATRIX_ACCESS_TOKEN, then restart Hearth',
    { cause },
  );
}

export function isUnknownToken(error: unknown): boolean {
  return error instanceof MatrixError && error.errcode === 'M_UNKNOWN_TOKEN';
}

function retryAfterMs(error: HTTPError): number {
  try {
    const ms = error.getRetryAfterMs();
    return ms !== null && ms >= 0 ? ms : DEFAULT_RETRY_AFTER_MS;
  } catch {
    return DEFAULT_RETRY_AFTER_MS; // a malformed Retry-After is the server's bug; wait the default
  }
}

/** Any error thrown by a matrix-js-sdk call, expressed as one of the core's platform errors. */
export function toPlatformError(error: unknown, what: string): Error {
  if (
    error instanceof PlatformConfigError ||
    error instanceof PlatformRateLimitedError ||
    error instanceof PlatformRejectedError ||
    error instanceof PlatformUnreachableError
  ) {
    return error;
  }
  if (isUnknownToken(error)) return unknownTokenError(error);
  if (error instanceof MatrixError || error instanceof HTTPError) {
    const status = error.httpStatus;
    if (error.isRateLimitError() || (error instanceof MatrixError && error.errcode === 'M_LIMIT_EXCEEDED')) {
      return new PlatformRateLimitedError(PLATFORM, retryAfterMs(error), { cause: error });
    }
    if (status === undefined || status >= 500 || status === 408) {
      return new PlatformUnreachableError(PLATFORM, `${what}: homeserver answered ${status ?? 'without a status'}`, { cause: error });
    }
    const code = error instanceof MatrixError ? (error.errcode ?? 'M_UNKNOWN') : `HTTP ${status}`;
    const text = error instanceof MatrixError && error.data.error ? `: ${String(error.data.error)}` : '';
    return new PlatformRejectedError(PLATFORM, `${what}: ${code}${text}`, status, { cause: error });
  }
  if (error instanceof ConnectionError) {
    return new PlatformUnreachableError(PLATFORM, `${what}: ${error.cause instanceof Error ? error.cause.message : 'connection failed'}`, { cause: error });
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new PlatformUnreachableError(PLATFORM, `${what}: request timed out`, { cause: error });
  }
  return new PlatformUnreachableError(PLATFORM, `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
