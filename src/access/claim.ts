/**
 * Claiming the owner without knowing account ids. `hearth setup` or `hearth owner claim` opens a
 * claim and shows a one-time code on the owner's terminal; the person sends `/claim CODE` to the
 * bot from any connected platform, and that account joins the owner. The terminal and the
 * gateway may be two processes, so the claim lives in the database and the terminal polls it.
 *
 * The code is the only proof, so: it is shown only to whoever can run Hearth's own commands,
 * only its hash is stored, it works once, expires in minutes, one claim is open at a time, and
 * wrong codes both lock the open claim after a few and are throttled per account. Every step
 * is audited (never with the code).
 */
import { createHash } from 'node:crypto';
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { AuditLog } from '../audit/audit.ts';
import { ownerClaims } from './schema.ts';
import { CodeAttempts, minutes, newCode, normalizeCode } from './codes.ts';
import { mergePeople } from './merge.ts';
import { accountLabel, type AccountRef, type People, type Person } from './people.ts';

/** Wrong codes (from anyone) before an open claim is locked and a new one must be made. */
export const MAX_WRONG_CLAIM_CODES = 5;

export type ClaimVia = 'setup' | 'cli' | 'admin-api';

export interface OpenedClaim {
  id: number;
  code: string;
  expiresAt: string;
}

export interface ClaimStatus {
  id: number;
  status: 'open' | 'claimed' | 'expired' | 'locked' | 'replaced';
  expiresAt: string;
  /** platform:account, once claimed. */
  claimedBy?: string;
}

export interface OwnerClaimsOptions {
  database: Database;
  audit: AuditLog;
  people: People;
  agentName: string;
  codeTtlMs: number;
  /** Called after the claimant's own person was joined into the owner (caches keyed by person id). */
  onMerge?: () => void;
}

const hash = (code: string) => createHash('sha256').update(normalizeCode(code)).digest('hex');

export class OwnerClaims {
  private readonly options: OwnerClaimsOptions;
  /** Per account, in this process: a stranger cannot flood the audit log with guesses. */
  private readonly attempts = new CodeAttempts({ failures: 5, windowSeconds: 15 * 60 });
  constructor(options: OwnerClaimsOptions) {
    this.options = options;
  }

  /** A new claim; an open one is replaced. The code is returned once and never stored. */
  async open(via: ClaimVia): Promise<OpenedClaim> {
    const { database, audit, codeTtlMs } = this.options;
    const code = newCode(8);
    const expiresAt = new Date(Date.now() + codeTtlMs);
    const row = await database.db.transaction(async (tx) => {
      await tx.update(ownerClaims).set({ status: 'replaced' }).where(eq(ownerClaims.status, 'open'));
      const [created] = await tx.insert(ownerClaims).values({ codeHash: hash(code), createdVia: via, expiresAt }).returning();
      return created!;
    });
    await audit.record({ kind: 'owner.claim_opened', subject: String(row.id), detail: { via, expiresAt: expiresAt.toISOString() } });
    return { id: row.id, code, expiresAt: expiresAt.toISOString() };
  }

  async status(id: number): Promise<ClaimStatus | undefined> {
    await this.expireOld();
    const [row] = await this.options.database.db.select().from(ownerClaims).where(eq(ownerClaims.id, id));
    if (!row) return undefined;
    return { id: row.id, status: row.status as ClaimStatus['status'], expiresAt: row.expiresAt.toISOString(), ...(row.claimedBy ? { claimedBy: row.claimedBy } : {}) };
  }

  /** `/claim CODE` from `account`; `holder` is the person already holding that account, if any. */
  async redeem(account: AccountRef & { displayName?: string }, holder: Person | undefined, typed: string): Promise<string> {
    const { database, audit } = this.options;
    const label = accountLabel(account);
    const blocked = await this.attempts.blockedFor(label);
    if (blocked) {
      await audit.record({ kind: 'owner.claim_throttled', actorPersonId: holder?.id ?? null, platform: account.platform, subject: label, detail: { retryInMs: blocked } });
      return `Too many wrong codes. Try again in ${minutes(blocked)}.`;
    }
    if (!typed.trim()) return 'Send /claim followed by the code that `hearth setup` or `hearth owner claim` shows on the machine I run on.';
    await this.expireOld();
    const [claim] = await database.db
      .update(ownerClaims)
      .set({ status: 'claimed', claimedBy: label, claimedAt: new Date() })
      .where(and(eq(ownerClaims.status, 'open'), eq(ownerClaims.codeHash, hash(typed)), gt(ownerClaims.expiresAt, new Date())))
      .returning();
    if (!claim) return this.wrongCode(account, holder);
    return this.makeOwner(account, holder, claim.id);
  }

  private async wrongCode(account: AccountRef, holder: Person | undefined): Promise<string> {
    const { database, audit } = this.options;
    const label = accountLabel(account);
    await this.attempts.fail(label);
    const [open] = await database.db
      .update(ownerClaims)
      .set({ failures: sql`${ownerClaims.failures} + 1`, status: sql`case when ${ownerClaims.failures} + 1 >= ${MAX_WRONG_CLAIM_CODES} then 'locked' else ${ownerClaims.status} end` })
      .where(eq(ownerClaims.status, 'open'))
      .returning();
    await audit.record({ kind: 'owner.claim_failed', actorPersonId: holder?.id ?? null, platform: account.platform, subject: label, detail: { reason: open ? 'wrong code' : 'no open claim (used, expired or never opened)' } });
    if (open?.status === 'locked') {
      await audit.record({ kind: 'owner.claim_locked', platform: account.platform, subject: String(open.id), detail: { failures: open.failures } });
    }
    return "That code doesn't work: it may be mistyped, used already, or expired. Run `hearth owner claim` on the machine I run on for a new one.";
  }

  private async makeOwner(account: AccountRef & { displayName?: string }, holder: Person | undefined, claimId: number): Promise<string> {
    const { database, audit, people } = this.options;
    const label = accountLabel(account);
    const owner = (await people.owner()) ?? (await people.ensureOwner([]));
    let merged: string | undefined;
    if (!holder) {
      await people.attach(owner.id, account);
    } else if (holder.id !== owner.id) {
      // The same human was already known here (say, let in as a guest): they become one person.
      const result = await mergePeople(database, owner, holder, owner);
      this.options.onMerge?.();
      merged = result.absorbed.id;
    }
    await audit.record({ kind: 'owner.claimed', actorPersonId: owner.id, platform: account.platform, subject: owner.id, detail: { account: label, claim: claimId, ...(merged ? { absorbed: merged } : {}), alreadyOwner: holder?.id === owner.id } });
    const name = account.displayName ?? owner.displayName;
    return `Welcome, ${name}! You are ${this.options.agentName}'s owner now, on this account (${label}). Send /help to see what you can do.`;
  }

  private async expireOld(): Promise<void> {
    await this.options.database.db.update(ownerClaims).set({ status: 'expired' }).where(and(eq(ownerClaims.status, 'open'), lte(ownerClaims.expiresAt, new Date())));
  }
}
