/**
 * The key that encrypts people's calendar and mail credentials. From HEARTH_SECRET_KEY when set
 * (64 hex characters or 32 bytes in base64), otherwise from `secret.key` in the data folder,
 * written once with mode 0600 the first time a credential is stored. Never in the database: a
 * stolen database dump alone reveals no password. A backup carries the file (data folder).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KEY_FILE = 'secret.key';

export interface KeySource {
  dataDir: string;
  /** HEARTH_SECRET_KEY, when set. */
  secretKey?: string;
}

export interface SecretKey {
  key: Buffer;
  from: 'HEARTH_SECRET_KEY' | 'file';
  /** The key file, when the key came from one. */
  path?: string;
}

export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
  readonly fix: string;
  constructor(message: string, fix: string) {
    super(`${message}. Fix: ${fix}`);
    this.fix = fix;
  }
}

export const keyFilePath = (dataDir: string) => join(dataDir, KEY_FILE);

/** Parses HEARTH_SECRET_KEY: 64 hex characters or base64 of 32 bytes. */
export function parseSecretKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const decoded = Buffer.from(trimmed, 'base64');
  return decoded.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(trimmed) ? decoded : undefined;
}

/** The key, or undefined when none exists yet (nothing was ever stored with a generated key). */
export function readSecretKey(source: KeySource): SecretKey | undefined {
  if (source.secretKey) {
    const key = parseSecretKey(source.secretKey);
    if (!key) throw new SecretKeyError('HEARTH_SECRET_KEY is not 64 hex characters or 32 bytes in base64', 'generate one with `openssl rand -hex 32`');
    return { key, from: 'HEARTH_SECRET_KEY' };
  }
  const path = keyFilePath(source.dataDir);
  if (!existsSync(path)) return undefined;
  const key = parseSecretKey(readFileSync(path, 'utf8'));
  if (!key) throw new SecretKeyError(`${path} does not hold a key (64 hex characters)`, 'restore it from a backup; if it is lost, delete it and connect calendars and mail again');
  return { key, from: 'file', path };
}

/** The key, generating the key file on first use. */
export function ensureSecretKey(source: KeySource): SecretKey {
  const existing = readSecretKey(source);
  if (existing) return existing;
  const path = keyFilePath(source.dataDir);
  mkdirSync(source.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': two processes racing create one key, and the loser reads the winner's.
  try {
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readSecretKey(source)!;
  }
  chmodSync(path, 0o600);
  return { key, from: 'file', path };
}

/** Mode bits other than the owner's, when the key file is readable by others. */
export function keyFileTooOpen(dataDir: string): boolean {
  const path = keyFilePath(dataDir);
  return existsSync(path) && (statSync(path).mode & 0o077) !== 0;
}
