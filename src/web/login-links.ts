/**
 * One-time login links: `hearth admin link` makes one (directly in the database, or through the
 * admin API of the running Hearth), the web admin redeems it. The secret is 32 random bytes,
 * shown once; the database keeps its hash. Redeeming is one conditional update, so a link opened
 * twice (or in two tabs at once) signs in once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { webLoginLinks } from './schema.ts';

export const LOGIN_LINK_TTL_MS = 15 * 60_000;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createLoginLink(db: Db, via: string, now: Date = new Date()): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + LOGIN_LINK_TTL_MS);
  await db.insert(webLoginLinks).values({ tokenHash: hash(token), createdVia: via, createdAt: now, expiresAt });
  return { token, expiresAt };
}

/** True once for a link that exists, was not used and has not expired; it is used from then on. */
export async function redeemLoginLink(db: Db, token: string, now: Date): Promise<boolean> {
  if (!/^[\w-]{20,100}$/.test(token)) return false;
  const [used] = await db
    .update(webLoginLinks)
    .set({ usedAt: now })
    .where(and(eq(webLoginLinks.tokenHash, hash(token)), isNull(webLoginLinks.usedAt), gt(webLoginLinks.expiresAt, now)))
    .returning({ id: webLoginLinks.id });
  return Boolean(used);
}

/** The path of the page that redeems a link; the CLI puts the running Hearth's address in front. */
export const loginLinkPath = (token: string) => `/login/link?token=${encodeURIComponent(token)}`;
