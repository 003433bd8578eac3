/**
 * grammY's GrammyError (Telegram answered "no") / HttpError (we never got an answer) mapped onto
 * Hearth's platform errors, so the outbox can decide between retrying and giving up.
 */
import { GrammyError, HttpError } from 'grammy';
import {
  PlatformConfigError,
  PlatformRateLimitedError,
  PlatformRejectedError,
  PlatformUnreachableError,
} from '../../src/core/index.ts';

export const PLATFORM = 'telegram';

/** The token sits in every Bot API URL (/bot<token>/method); network errors echo that URL. */
export function redact(text: string): string {
  return text.replace(/bot\d+:[A-Za-z0-9_-]+/g, 'bot<token>').replace(/\b\d{5,}:[A-Za-z0-9_-]{20,}\b/g, '<token>');
}

export function describe(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code}: ${error.description}`;
  if (error instanceof HttpError) {
    const inner = error.error instanceof Error ? ` (${error.error.message})` : '';
    return redact(`${error.message}${inner}`);
  }
  return redact(error instanceof Error ? error.message : String(error));
}

export function toPlatformError(error: unknown): Error {
  if (error instanceof GrammyError) {
    if (error.error_code === 429) {
      const seconds = error.parameters.retry_after ?? 1;
      return new PlatformRateLimitedError(PLATFORM, seconds * 1000);
    }
    if (error.error_code >= 500) return new PlatformUnreachableError(PLATFORM, describe(error));
    return new PlatformRejectedError(PLATFORM, error.description, error.error_code);
  }
  if (error instanceof HttpError) return new PlatformUnreachableError(PLATFORM, describe(error));
  return error instanceof Error ? error : new Error(String(error));
}

export function isEntityError(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && /can't parse entities/i.test(error.description);
}

export function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && /message is not modified/i.test(error.description);
}

/** 401 (wrong token) and 404 (malformed token: the URL names no bot) both mean "fix the token". */
export function isTokenRejected(error: unknown): boolean {
  return error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404);
}

export const TOKEN_FIX =
  'open Telegram, talk to @BotFather, send /mybots → your bot → API Token, and put that token in TELEGRAM_BOT_TOKEN ' +
  '(it looks like 123456789:AA…; if you revoked it, the old one no longer works)';

export function tokenRejected(): PlatformConfigError {
  return new PlatformConfigError(PLATFORM, 'Telegram does not accept the bot token (401 Unauthorized)', TOKEN_FIX);
}
