/**
 * People and their platform accounts. The owner is named in configuration (HEARTH_OWNER) and is
 * (re)linked at every start, so editing the config is how an owner recovers access. One person
 * may hold accounts on several platforms; permissions, memories and history belong to the person.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, ilike, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { identities, people } from '../db/schema.ts';
import type { Person, Role, Sender } from './types.ts';
import { toolGrants } from './schema.ts';

export type { Person, Role } from './types.ts';

export interface AccountRef {
  platform: string;
  accountId: string;
}

export interface Identity extends AccountRef {
  displayName: string | null;
}

export interface PersonDetails extends Person {
  createdAt: Date;
  accounts: Identity[];
}

/** The console channel is the owner at the keyboard of the machine Hearth runs on. */
export const CONSOLE_OWNER_ACCOUNT: AccountRef = { platform: 'console', accountId: 'owner' };

export function parseOwnerAccounts(owner: string | undefined): AccountRef[] {
  if (!owner) return [];
  return owner
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map(parseAccount);
}

/** `telegram:123` → { platform: 'telegram', accountId: '123' } (account ids may contain ':'). */
export function parseAccount(text: string): AccountRef {
  const at = text.indexOf(':');
  return { platform: text.slice(0, at), accountId: text.slice(at + 1) };
}

export const accountLabel = (account: AccountRef): string => `${account.platform}:${account.accountId}`;

type Executor = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * SQL for the sender holding an account, as JSON (null when nobody holds it): the person and their
 * own tool grants, read in one expression so that the journal can read it with the message it
 * claims (Journal's `senderOf`) and a turn needs no statement of its own to know who is speaking.
 */
export function senderOfAccount(platform: SQL, accountId: SQL): SQL {
  return sql`(select jsonb_build_object(
      'id', p.id, 'displayName', p.display_name, 'role', p.role, 'timeZone', p.time_zone,
      'grants', coalesce((select jsonb_object_agg(g.tool, g.decision) from ${toolGrants} g where g.person_id = p.id), '{}'::jsonb))
    from ${identities} i join ${people} p on p.id = i.person_id
    where i.platform = ${platform} and i.account_id = ${accountId}
    limit 1)`;
}

/** senderOfAccount's value as a Sender; undefined for nobody. */
export function senderFromJson(value: unknown): Sender | undefined {
  if (value === null || value === undefined) return undefined;
  const { grants, ...person } = (typeof value === 'string' ? JSON.parse(value) : value) as Person & { grants: Sender['grants'] };
  return { person, grants };
}

/** The columns that make a Person. */
const personColumns = { id: people.id, displayName: people.displayName, role: people.role, timeZone: people.timeZone };

export class People {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async findByAccount(account: AccountRef): Promise<Person | undefined> {
    const [row] = await this.db
      .select(personColumns)
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId))
      .where(and(eq(identities.platform, account.platform), eq(identities.accountId, account.accountId)))
      .limit(1);
    return row as Person | undefined;
  }

  /**
   * The person holding an account together with their own tool grants, in one statement: this
   * runs for every message, and the grants are read fresh each time (never cached), so a grant
   * or role changed anywhere — the CLI, another process — holds from the very next message.
   */
  async findSender(account: AccountRef): Promise<Sender | undefined> {
    const [row] = await this.db.select({ sender: senderOfAccount(sql`${account.platform}`, sql`${account.accountId}`) }).from(sql`(values (1)) as one`);
    return senderFromJson(row?.sender);
  }

  /** The owner's chat accounts (configured or claimed), as platform:account; not the console. */
  async ownerAccounts(): Promise<string[]> {
    const rows = await this.db
      .select({ platform: identities.platform, accountId: identities.accountId })
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId))
      .where(and(eq(people.role, 'owner'), ne(identities.platform, CONSOLE_OWNER_ACCOUNT.platform)));
    return rows.map(accountLabel);
  }

  async get(id: string): Promise<Person | undefined> {
    const [row] = await this.db.select(personColumns).from(people).where(eq(people.id, id)).limit(1);
    return row as Person | undefined;
  }

  async owner(): Promise<Person | undefined> {
    const [row] = await this.db.select(personColumns).from(people).where(eq(people.role, 'owner')).limit(1);
    return row as Person | undefined;
  }

  /**
   * A person by what an owner would type: their id, one of their accounts (`telegram:123`), or
   * their name when exactly one person has it. Undefined when nothing (or more than one) matches.
   */
  async find(reference: string): Promise<Person | undefined> {
    const text = reference.trim().replace(/^@/, '');
    if (!text) return undefined;
    const byId = await this.get(text);
    if (byId) return byId;
    if (text.includes(':')) {
      const byAccount = await this.findByAccount(parseAccount(text));
      if (byAccount) return byAccount;
    }
    const byName = await this.db.select(personColumns).from(people).where(ilike(people.displayName, text.replace(/[%_\\]/g, '\\$&'))).limit(2);
    if (byName.length === 1) return byName[0] as Person;
    const byAccountName = await this.db
      .selectDistinct(personColumns)
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId))
      .where(ilike(identities.displayName, text.replace(/[%_\\]/g, '\\$&')))
      .limit(2);
    return byAccountName.length === 1 ? (byAccountName[0] as Person) : undefined;
  }

  async list(): Promise<PersonDetails[]> {
    const rows = await this.db.select().from(people).orderBy(asc(people.createdAt), asc(people.id));
    const accounts = await this.db.select().from(identities).orderBy(asc(identities.platform), asc(identities.accountId));
    return rows.map((row) => ({
      id: row.id,
      displayName: row.displayName,
      role: row.role as Role,
      timeZone: row.timeZone,
      createdAt: row.createdAt,
      accounts: accounts.filter((a) => a.personId === row.id).map(({ platform, accountId, displayName }) => ({ platform, accountId, displayName })),
    }));
  }

  async details(id: string): Promise<PersonDetails | undefined> {
    const [row] = await this.db.select().from(people).where(eq(people.id, id)).limit(1);
    if (!row) return undefined;
    const accounts = await this.accountsOf(id);
    return { id: row.id, displayName: row.displayName, role: row.role as Role, timeZone: row.timeZone, createdAt: row.createdAt, accounts };
  }

  async accountsOf(personId: string, executor: Executor = this.db): Promise<Identity[]> {
    return executor
      .select({ platform: identities.platform, accountId: identities.accountId, displayName: identities.displayName })
      .from(identities)
      .where(eq(identities.personId, personId))
      .orderBy(asc(identities.platform), asc(identities.accountId));
  }

  /** A new person holding one account. */
  async create(input: { displayName: string; role: Role; account?: AccountRef & { displayName?: string } }, executor: Executor = this.db): Promise<Person> {
    const person: Person = { id: randomUUID(), displayName: input.displayName.slice(0, 80) || 'someone', role: input.role };
    await executor.insert(people).values({ id: person.id, displayName: person.displayName, role: person.role });
    if (input.account) await this.attach(person.id, input.account, executor);
    return person;
  }

  /** Gives an account to a person; an account held by someone else moves (callers check first). */
  async attach(personId: string, account: AccountRef & { displayName?: string }, executor: Executor = this.db): Promise<void> {
    await executor
      .insert(identities)
      .values({ platform: account.platform, accountId: account.accountId, personId, displayName: account.displayName ?? null })
      .onConflictDoUpdate({ target: [identities.platform, identities.accountId], set: { personId } });
  }

  /** Removes an account from whoever holds it; true when there was one. */
  async detach(account: AccountRef): Promise<boolean> {
    const removed = await this.db
      .delete(identities)
      .where(and(eq(identities.platform, account.platform), eq(identities.accountId, account.accountId)))
      .returning({ personId: identities.personId });
    return removed.length > 0;
  }

  /** The person's own time zone, or null to follow the household's. */
  async setTimeZone(personId: string, timeZone: string | null): Promise<void> {
    await this.db.update(people).set({ timeZone }).where(eq(people.id, personId));
  }

  async setRole(personId: string, role: Role, executor: Executor = this.db): Promise<void> {
    await executor.update(people).set({ role }).where(eq(people.id, personId));
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
      return { id: owner.id, displayName: owner.displayName, role: owner.role as Role, timeZone: owner.timeZone };
    });
  }

  async rememberDisplayName(account: AccountRef, displayName: string): Promise<void> {
    await this.db
      .update(identities)
      .set({ displayName })
      .where(and(eq(identities.platform, account.platform), eq(identities.accountId, account.accountId)));
  }
}
