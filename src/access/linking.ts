/**
 * Joining accounts: `/link` in a direct chat shows a one-time code; `/link CODE` from another
 * account (any platform, known or not) joins that account to the person who asked. A known
 * account means two people become one (merge.ts). The code proves one human holds both
 * accounts, so it is only ever shown in a direct chat, works once, expires in minutes, and
 * guesses are throttled per account and across all strangers together.
 */
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { AuditLog } from '../audit/audit.ts';
import { linkCodes } from './schema.ts';
import { CodeAttempts, minutes, newCode, normalizeCode } from './codes.ts';
import { mergePeople } from './merge.ts';
import { accountLabel, type AccountRef, type People, type Person } from './people.ts';

export interface LinkingOptions {
  database: Database;
  audit: AuditLog;
  people: People;
  codeTtlMs: number;
  /** Called after two people became one (caches keyed by person id). */
  onMerge?: () => void;
}

export class Linking {
  private readonly options: LinkingOptions;
  /**
   * Wrong codes count against the account typing them and, when it belongs to someone, against
   * that person (all their accounts together) — never against everyone: throwaway accounts
   * guessing cannot lock out real people. Guessing stays hopeless: 31^8 codes, one live per
   * person, for an hour; an unknown account gets 5 guesses per 15 minutes and may send only
   * 10 messages per 10 minutes (src/pipeline/admission.ts).
   */
  private readonly attempts = new CodeAttempts({ failures: 5, windowSeconds: 15 * 60 });
  constructor(options: LinkingOptions) {
    this.options = options;
  }

  async createCode(person: Person, platform: string): Promise<string> {
    const { database, audit } = this.options;
    // One live code per person: asking again replaces the old one.
    await database.db.delete(linkCodes).where(and(eq(linkCodes.personId, person.id), isNull(linkCodes.usedAt)));
    const code = newCode(8);
    const expiresAt = new Date(Date.now() + this.options.codeTtlMs);
    await database.db.insert(linkCodes).values({ code, personId: person.id, expiresAt });
    await audit.record({ kind: 'link.code_created', actorPersonId: person.id, platform, subject: person.id, detail: { expiresAt: expiresAt.toISOString() } });
    return `Your link code is **${code}**. From your other account, send me: /link ${code}\nIt works once, for ${minutes(this.options.codeTtlMs)}. Don't share it: whoever uses it joins their account to yours.`;
  }

  /** `/link CODE` from `account`; `holder` is the person already holding that account, if any. */
  async redeem(account: AccountRef & { displayName?: string }, holder: Person | undefined, typed: string): Promise<string> {
    const { database, audit, people } = this.options;
    const label = accountLabel(account);
    const throttleKeys = holder ? [`account:${label}`, `person:${holder.id}`] : [`account:${label}`];
    const blocked = Math.max(...(await Promise.all(throttleKeys.map((key) => this.attempts.blockedFor(key)))));
    if (blocked) {
      await audit.recordRepeated(`link:${label}`, { kind: 'link.throttled', actorPersonId: holder?.id ?? null, platform: account.platform, subject: label, detail: { retryInMs: blocked } });
      return `Too many wrong codes. Try again in ${minutes(blocked)}.`;
    }
    const [used] = await database.db
      .update(linkCodes)
      .set({ usedAt: new Date(), usedBy: label })
      .where(and(eq(linkCodes.code, normalizeCode(typed)), isNull(linkCodes.usedAt), gt(linkCodes.expiresAt, new Date())))
      .returning();
    if (!used) {
      for (const key of throttleKeys) await this.attempts.fail(key);
      await audit.recordRepeated(`link:${label}`, { kind: 'link.failed', actorPersonId: holder?.id ?? null, platform: account.platform, subject: label, detail: { reason: 'wrong, used or expired code' } });
      return "That code doesn't work: it may be mistyped, used already, or expired. Send /link on your other account for a new one.";
    }
    const owner = await people.get(used.personId);
    if (!owner) return 'The person that code belonged to no longer exists.';
    if (holder?.id === owner.id) return 'This account is already linked to you.';
    if (!holder) {
      await people.attach(owner.id, account);
      await audit.record({ kind: 'person.linked', actorPersonId: owner.id, platform: account.platform, subject: owner.id, detail: { account: label, via: 'code' } });
      return `Linked: ${label} now belongs to ${owner.displayName}. Your permissions and memories are the same here.`;
    }
    const merged = await mergePeople(database, owner, holder, owner);
    this.options.onMerge?.();
    await audit.record({
      kind: 'person.merged',
      actorPersonId: merged.survivor.id,
      platform: account.platform,
      subject: merged.survivor.id,
      detail: { absorbed: merged.absorbed.id, absorbedName: merged.absorbed.displayName, account: label, moved: merged.moved, via: 'code' },
    });
    return `Linked: ${merged.absorbed.displayName} and ${merged.survivor.displayName} are now one person, ${merged.survivor.displayName} (${merged.survivor.role}). History, memories and permissions came along.`;
  }
}
