/**
 * People and their platform accounts. The owner is named in configuration (HEARTH_OWNER) and is
 * (re)linked at every start, so editing the config is how an owner recovers access.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { identities, people } from '../db/schema.ts';

export type Role = 'owner' | 'member' | 'guest';

export interface Person {
  id: string;
  displayName: string;
  role: Role;
}

export interface AccountRef {
  platform: string;
  accountId: string;
}

/** The console channel is the owner at the keyboard of the machine Hearth runs on. */
export const CONSOLE_OWNER_ACCOUNT: AccountRef = { platform: 'console', accountId: 'owner' };

export function parseOwnerAccounts(owner: string | undefined): AccountRef[] {
  if (!owner) return [];
  return owner
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf(':');
      return { platform: pair.slice(0, at), accountId: pair.slice(at + 1) };
    });
}

export class People {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async findByAccount(account: AccountRef): Promise<Person | undefined> {
    const [row] = await this.db
      .select({ id: people.id, displayName: people.displayName, role: people.role })
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId))
      .where(and(eq(identities.platform, account.platform), eq(identities.accountId, account.accountId)))
      .limit(1);
    return row as Person | undefined;
  }

  /** Makes sure one owner person exists and holds every configured owner account. */
  async ensureOwner(accounts: AccountRef[]): Promise<Person> {
    const all = [CONSOLE_OWNER_ACCOUNT, ...accounts];
    return this.db.transaction(async (tx) => {
      const [existing] = await tx.select().from(people).where(eq(people.role, 'owner')).limit(1);
      const owner = existing ?? (await tx.insert(people).values({ id: randomUUID(), displayName: 'Owner', role: 'owner' }).returning())[0]!;
      for (const account of all) {
        await tx
          .insert(identities)
          .values({ ...account, personId: owner.id })
          .onConflictDoUpdate({ target: [identities.platform, identities.accountId], set: { personId: owner.id } });
      }
      return { id: owner.id, displayName: owner.displayName, role: owner.role as Role };
    });
  }

  async rememberDisplayName(account: AccountRef, displayName: string): Promise<void> {
    await this.db
      .update(identities)
      .set({ displayName })
      .where(and(eq(identities.platform, account.platform), eq(identities.accountId, account.accountId)));
  }
}
