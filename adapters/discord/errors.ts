/**
 * discord.js errors → Hearth's errors, so the outbox can tell "Discord said no" from "retry
 * later" from "fix your config". Messages never include the token: discord.js errors carry the
 * URL and body of the request, never its Authorization header.
 */
import { DiscordAPIError, DiscordjsError, DiscordjsErrorCodes, HTTPError, RateLimitError } from 'discord.js';
import { PlatformConfigError, PlatformRateLimitedError, PlatformRejectedError, PlatformUnreachableError } from '../../src/core/index.ts';

const PLATFORM = 'discord';

export const PORTAL = 'https://discord.com/developers/applications';

export const FIX_TOKEN = `open ${PORTAL} → your application → Bot → Reset Token, copy the new token into DISCORD_BOT_TOKEN and restart Hearth`;
export const FIX_MESSAGE_CONTENT = `open ${PORTAL} → your application → Bot → Privileged Gateway Intents, switch on "Message Content Intent", press Save and restart Hearth`;

export function badToken(cause?: unknown): PlatformConfigError {
  return new PlatformConfigError(PLATFORM, 'Discord refused the bot token (it is wrong, or was reset)', FIX_TOKEN, { cause });
}

export function missingMessageContent(cause?: unknown): PlatformConfigError {
  return new PlatformConfigError(
    PLATFORM,
    'the Message Content intent is not enabled for this bot, so Discord will not let it read messages (gateway close 4014)',
    FIX_MESSAGE_CONTENT,
    { cause },
  );
}

/** Gateway close codes that no reconnect can fix (https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes). */
export function configErrorForCloseCode(code: number | undefined, cause?: unknown): PlatformConfigError | undefined {
  switch (code) {
    case 4004:
      return badToken(cause);
    case 4014:
      return missingMessageContent(cause);
    case 4013:
      return new PlatformConfigError(PLATFORM, 'Discord rejected the gateway intents Hearth asked for (close 4013)', 'update Hearth; this is a bug', { cause });
    default:
      return undefined;
  }
}

/** What login() threw → an error the owner can act on. */
export function loginError(error: unknown, closeCode: number | undefined): Error {
  const byCode = configErrorForCloseCode(closeCode, error);
  if (byCode) return byCode;
  if (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid) return badToken(error);
  if (error instanceof DiscordAPIError && error.status === 401) return badToken(error);
  if (error instanceof Error && /disallowed intents/i.test(error.message)) return missingMessageContent(error);
  if (error instanceof Error && /authentication failed/i.test(error.message)) return badToken(error);
  return toCoreError(error, 'connecting to the gateway');
}

const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EPIPE|UND_ERR_\w+)$/;

export function toCoreError(error: unknown, action: string): Error {
  if (error instanceof RateLimitError) return new PlatformRateLimitedError(PLATFORM, Math.max(0, Math.ceil(error.retryAfter)), { cause: error });
  if (error instanceof DiscordAPIError) {
    return new PlatformRejectedError(PLATFORM, `${action}: ${error.message} (Discord code ${error.code})`, error.status, { cause: error });
  }
  if (error instanceof HTTPError) return new PlatformUnreachableError(PLATFORM, `${action}: HTTP ${error.status} ${error.message}`, { cause: error });
  if (error instanceof DiscordjsError) return new PlatformRejectedError(PLATFORM, `${action}: ${error.message}`, undefined, { cause: error });
  if (error instanceof Error && (error.name === 'AbortError' || NETWORK_CODES.test(networkCode(error)))) {
    return new PlatformUnreachableError(PLATFORM, `${action}: ${networkCode(error) || 'request timed out'}`, { cause: error });
  }
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return new PlatformUnreachableError(PLATFORM, `${action}: ${error.message}`, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/** undici puts the socket error code on the error or on its cause. */
function networkCode(error: Error): string {
  const direct = (error as { code?: unknown }).code;
  if (typeof direct === 'string') return direct;
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof cause === 'string' ? cause : '';
}
