/**
 * People's connections to their calendar and mailbox: the settings in the clear, the password
 * sealed with the secret key. A password leaves this file only to the client library that logs
 * in with it, and it is registered with the logger first, so even a library's error that quotes
 * it reaches no log line.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { registerSecrets } from '../log.ts';
import { open, seal } from './cipher.ts';
import { ensureSecretKey, readSecretKey, type KeySource } from './key.ts';
import { connections } from './schema.ts';

export type ConnectionKind = 'calendar' | 'mail';

export interface CalendarSettings {
  /** The CalDAV server or calendar URL. */
  url: string;
  username: string;
}

export interface MailSettings {
  /** imaps://host:993 or imap://host:143 */
  imapUrl: string;
  /** smtps://host:465 or smtp://host:587 */
  smtpUrl: string;
  username: string;
  /** The From address; the user name when it looks like one. */
  address?: string;
}

export interface SettingsOf {
  calendar: CalendarSettings;
  mail: MailSettings;
}

export interface Credentials<K extends ConnectionKind> {
  settings: SettingsOf[K];
  password: string;
}

/** Who a connection belongs to: a person, or the household (the shared calendar). */
export type Holder = { personId: string } | 'household';

/** The stored password cannot be read: the key changed or was lost since it was saved. */
export class LostKeyError extends Error {
  override name = 'LostKeyError';
  constructor(kind: ConnectionKind) {
    super(
      `the ${kind} password was saved with a secret key this Hearth no longer has (HEARTH_SECRET_KEY changed, or secret.key in the data folder was lost or replaced). Passwords cannot be recovered without it: connect again with /connect ${kind}, or restore secret.key from a backup`,
    );
  }
}

// Bound to the kind only: a person id can change when two people are joined (src/access/merge.ts).
const associated = (kind: ConnectionKind) => `hearth.connection.${kind}`;

export class Connections {
  private readonly db: Db;
  private readonly keys: KeySource;

  constructor(db: Db, keys: KeySource) {
    this.db = db;
    this.keys = keys;
  }

  private where(holder: Holder, kind: ConnectionKind) {
    return and(holder === 'household' ? isNull(connections.personId) : eq(connections.personId, holder.personId), eq(connections.kind, kind));
  }

  async save<K extends ConnectionKind>(holder: Holder, kind: K, credentials: Credentials<K>): Promise<void> {
    registerSecrets([credentials.password]);
    const secret = seal(ensureSecretKey(this.keys).key, credentials.password, associated(kind));
    const personId = holder === 'household' ? null : holder.personId;
    const existing = await this.db.select({ id: connections.id }).from(connections).where(this.where(holder, kind));
    if (existing[0]) {
      await this.db.update(connections).set({ settings: credentials.settings, secret, updatedAt: new Date() }).where(eq(connections.id, existing[0].id));
    } else {
      await this.db.insert(connections).values({ personId, kind, settings: credentials.settings, secret });
    }
  }

  /** The settings alone (what the person may be shown), or undefined when not connected. */
  async settings<K extends ConnectionKind>(holder: Holder, kind: K): Promise<SettingsOf[K] | undefined> {
    const [row] = await this.db.select({ settings: connections.settings }).from(connections).where(this.where(holder, kind));
    return row?.settings as SettingsOf[K] | undefined;
  }

  /** Settings and password, for logging in; throws LostKeyError when the key cannot open it. */
  async credentials<K extends ConnectionKind>(holder: Holder, kind: K): Promise<Credentials<K> | undefined> {
    const [row] = await this.db.select().from(connections).where(this.where(holder, kind));
    if (!row) return undefined;
    const key = readSecretKey(this.keys);
    const password = key ? open(key.key, row.secret, associated(kind)) : undefined;
    if (password === undefined) throw new LostKeyError(kind);
    registerSecrets([password]);
    return { settings: row.settings as SettingsOf[K], password };
  }

  async remove(holder: Holder, kind: ConnectionKind): Promise<boolean> {
    const removed = await this.db.delete(connections).where(this.where(holder, kind)).returning({ id: connections.id });
    return removed.length > 0;
  }

  /** Who the owner shares the household calendar with (person ids). */
  async householdSharedWith(): Promise<string[]> {
    const [row] = await this.db.select({ sharedWith: connections.sharedWith }).from(connections).where(this.where('household', 'calendar'));
    return (row?.sharedWith as string[] | undefined) ?? [];
  }

  async shareHousehold(personIds: string[]): Promise<boolean> {
    const updated = await this.db
      .update(connections)
      .set({ sharedWith: [...new Set(personIds)], updatedAt: new Date() })
      .where(this.where('household', 'calendar'))
      .returning({ id: connections.id });
    return updated.length > 0;
  }

  /** How many stored passwords cannot be opened with the current key (for `hearth doctor`). */
  async unreadable(): Promise<number> {
    const rows = await this.db.select({ kind: connections.kind, secret: connections.secret }).from(connections);
    if (rows.length === 0) return 0;
    const key = readSecretKey(this.keys);
    return rows.filter((row) => !key || open(key.key, row.secret, associated(row.kind as ConnectionKind)) === undefined).length;
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(connections);
    return row?.n ?? 0;
  }
}
