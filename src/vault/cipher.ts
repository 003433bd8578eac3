/**
 * AES-256-GCM with node:crypto: a fresh 12-byte nonce per secret, the authentication tag kept
 * beside the ciphertext, and associated data binding a secret to its owner and kind, so a row
 * copied onto another person's connection fails to decrypt instead of leaking.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export function seal(key: Buffer, plaintext: string, associated: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associated, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, nonce.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
}

/** The plaintext, or undefined when the key is not the one it was sealed with (or the data was altered). */
export function open(key: Buffer, sealed: string, associated: string): string | undefined {
  const [version, nonce, tag, body] = sealed.split(':');
  if (version !== VERSION || !nonce || !tag || body === undefined) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64'));
    decipher.setAAD(Buffer.from(associated, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
