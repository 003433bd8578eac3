/**
 * One-time login links for the web admin (`hearth admin link`). The link is made by whichever
 * process runs the command and redeemed by the Hearth serving the page, so it lives in the
 * database; only a hash of the secret is kept, and a link works once, until it expires.
 */
import { bigserial, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const webLoginLinks = pgTable(
  'web_login_links',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** sha256 of the secret in the link, hex. */
    tokenHash: text('token_hash').notNull(),
    /** cli | admin-api */
    createdVia: text('created_via').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
  },
  (t) => [uniqueIndex('web_login_links_token').on(t.tokenHash)],
);
