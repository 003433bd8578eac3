/**
 * Strangers asking to be let in. Under the `pairing` policy an unknown account gets a short code
 * and nothing else; the owner, who knows the person, gets the code from them (out of band — that
 * is the point: Hearth never shows the owner the code) and approves it with `/approve CODE` or
 * `hearth people approve CODE`. Codes expire, one per account, a limited number at once;
 * wrong codes are throttled per approver.
 */
import { and, asc, count, desc, eq, gt, lte, ne } from 'drizzle-orm';
import type { ConversationRef } from '../core/index.ts';
import type { Db } from '../db/client.ts';
import type { AuditLog } from '../audit/audit.ts';
import type { TurnContext } from '../pipeline/context.ts';
import { pairingRequests } from './schema.ts';
import { CodeAttempts, minutes, newCode, normalizeCode } from './codes.ts';
import type { Notify } from './approvals.ts';
import type { People, Person } from './people.ts';
import type { Actor } from './grants.ts';

export interface PairingOptions {
  db: Db;
  audit: AuditLog;
  people: People;
  notify: Notify;
  agentName: string;
  codeTtlMs: number;
  maxPending: number;
  /** Minimum gap between two replies to the same stranger (they may write many times). */
  replyGapMs?: number;
}

type Row = typeof pairingRequests.$inferSelect;

export class Pairing {
  private readonly options: PairingOptions;
  private readonly attempts = new CodeAttempts({ failures: 5, windowSeconds: 15 * 60 });
  private readonly lastReply = new Map<string, number>();
  constructor(options: PairingOptions) {
    this.options = options;
  }

  /** Answers an unknown sender with their code (new or still valid); the message is not processed. */
  async stranger(turn: TurnContext): Promise<void> {
    const { platform, sender, conversation } = turn.message;
    const account = `${platform}:${sender.accountId}`;
    const { db, audit, agentName } = this.options;
    turn.outcome = 'refused';
    await this.expireOld();
    let [request] = await db.select().from(pairingRequests).where(and(eq(pairingRequests.platform, platform), eq(pairingRequests.accountId, sender.accountId), eq(pairingRequests.status, 'pending')));
    const refusal = { kind: 'sender.refused', platform, subject: account, detail: { displayName: sender.displayName, conversation: conversation.id, conversationKind: conversation.kind, reason: 'unknown account', policy: 'pairing' } };
    const fresh = !request;
    if (!request) {
      const [pending] = await db.select({ n: count() }).from(pairingRequests).where(eq(pairingRequests.status, 'pending'));
      if (Number(pending?.n ?? 0) >= this.options.maxPending) {
        await audit.recordRepeated(account, { ...refusal, detail: { ...refusal.detail, pairing: 'too many pending requests' } });
        this.reply(turn, account, `Hi ${sender.displayName}! I'm ${agentName}, a private assistant, and I don't know you yet. I can't take new requests right now; please try again later.`);
        return;
      }
      request = await this.insert(platform, sender.accountId, sender.displayName, conversation);
      await audit.record({ ...refusal, detail: { ...refusal.detail, pairing: 'code issued' } });
      await audit.record({ kind: 'pairing.requested', platform, subject: account, detail: { request: request.id, displayName: sender.displayName, expiresAt: request.expiresAt.toISOString() } });
    } else {
      await audit.recordRepeated(account, { ...refusal, detail: { ...refusal.detail, pairing: 'code already issued' } });
    }
    const left = minutes(request.expiresAt.getTime() - Date.now());
    if (fresh) this.lastReply.delete(account); // a new code is always shown
    this.reply(
      turn,
      account,
      `Hi ${sender.displayName}! I'm ${agentName}, a private assistant, and I don't know you yet. If you know the person who runs me, give them this code: **${request.code}** (your account is ${account}). They can let you in with /approve ${request.code} — the code works for ${left}.`,
    );
  }

  private reply(turn: TurnContext, account: string, text: string): void {
    const now = Date.now();
    if (now - (this.lastReply.get(account) ?? 0) < (this.options.replyGapMs ?? 10 * 60_000)) return;
    this.lastReply.set(account, now);
    turn.replies.push({ kind: 'notice', text });
  }

  private async insert(platform: string, accountId: string, displayName: string, conversation: ConversationRef): Promise<Row> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [row] = await this.options.db
          .insert(pairingRequests)
          .values({ code: newCode(6), platform, accountId, displayName: displayName.slice(0, 80), conversation, expiresAt: new Date(Date.now() + this.options.codeTtlMs) })
          .returning();
        return row!;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  private async expireOld(): Promise<void> {
    await this.options.db.update(pairingRequests).set({ status: 'expired' }).where(and(eq(pairingRequests.status, 'pending'), lte(pairingRequests.expiresAt, new Date())));
  }

  async pending(): Promise<Array<Pick<Row, 'id' | 'platform' | 'accountId' | 'displayName' | 'createdAt' | 'expiresAt'>>> {
    await this.expireOld();
    return this.options.db
      .select({ id: pairingRequests.id, platform: pairingRequests.platform, accountId: pairingRequests.accountId, displayName: pairingRequests.displayName, createdAt: pairingRequests.createdAt, expiresAt: pairingRequests.expiresAt })
      .from(pairingRequests)
      .where(eq(pairingRequests.status, 'pending'))
      .orderBy(asc(pairingRequests.id));
  }

  async findPending(code: string): Promise<Row | undefined> {
    const [row] = await this.options.db
      .select()
      .from(pairingRequests)
      .where(and(eq(pairingRequests.code, normalizeCode(code)), eq(pairingRequests.status, 'pending'), gt(pairingRequests.expiresAt, new Date())));
    return row;
  }

  /** The web admin answers a request by its id, from the list it shows; the code is for chat. */
  async findPendingById(id: number): Promise<Row | undefined> {
    const [row] = await this.options.db
      .select()
      .from(pairingRequests)
      .where(and(eq(pairingRequests.id, id), eq(pairingRequests.status, 'pending'), gt(pairingRequests.expiresAt, new Date())));
    return row;
  }

  /** A request with this code that was already approved, denied or has expired. */
  async decidedByCode(code: string): Promise<Row | undefined> {
    const [row] = await this.options.db
      .select()
      .from(pairingRequests)
      .where(and(eq(pairingRequests.code, normalizeCode(code)), ne(pairingRequests.status, 'pending')))
      .orderBy(desc(pairingRequests.id))
      .limit(1);
    return row;
  }

  /** Wrong codes count against the approver; too many and even a right one waits. */
  async throttled(actor: Actor): Promise<string | undefined> {
    const wait = await this.attempts.blockedFor(actor.person.id);
    if (!wait) return undefined;
    await this.options.audit.record({ kind: 'pairing.throttled', actorPersonId: actor.person.id, detail: { via: actor.via, retryInMs: wait } });
    return `Too many wrong codes. Try again in ${minutes(wait)}.`;
  }

  async wrongCode(actor: Actor, action: 'approve' | 'deny'): Promise<string> {
    await this.attempts.fail(actor.person.id);
    await this.options.audit.record({ kind: 'pairing.failed', actorPersonId: actor.person.id, detail: { action, reason: 'no pending request has that code', via: actor.via } });
    return 'No pending request has that code. Codes expire after an hour; ask them to write to me again for a new one.';
  }

  /** Lets the stranger in as a guest and tells them. */
  async approve(actor: Actor, request: Row): Promise<{ text: string; person?: Person }> {
    const { db, people, audit } = this.options;
    const account = { platform: request.platform, accountId: request.accountId };
    // Read before the transaction: PGlite runs one statement at a time, so a query outside an open transaction would wait for it forever.
    const existing = await people.findByAccount(account);
    const outcome = await db.transaction(async (tx) => {
      const [claimed] = await tx
        .update(pairingRequests)
        .set({ status: 'approved', decidedBy: actor.person.id, decidedAt: new Date() })
        .where(and(eq(pairingRequests.id, request.id), eq(pairingRequests.status, 'pending')))
        .returning();
      if (!claimed) return undefined;
      const person = existing ?? (await people.create({ displayName: request.displayName, role: 'guest', account: { ...account, displayName: request.displayName } }, tx));
      await tx.update(pairingRequests).set({ personId: person.id }).where(eq(pairingRequests.id, request.id));
      return person;
    });
    if (!outcome) return { text: 'That request was already answered.' };
    await audit.record({ kind: 'pairing.approved', actorPersonId: actor.person.id, platform: request.platform, subject: outcome.id, detail: { request: request.id, account: `${request.platform}:${request.accountId}`, displayName: request.displayName, role: outcome.role, via: actor.via } });
    await this.options
      .notify({ platform: request.platform, conversation: request.conversation as ConversationRef, text: `Welcome, ${request.displayName}! You're in now — just write to me.` })
      .catch(() => undefined);
    return { text: `${request.displayName} (${request.platform}:${request.accountId}) is in, as a ${outcome.role}.`, person: outcome };
  }

  async deny(actor: Actor, request: Row): Promise<string> {
    const [denied] = await this.options.db
      .update(pairingRequests)
      .set({ status: 'denied', decidedBy: actor.person.id, decidedAt: new Date() })
      .where(and(eq(pairingRequests.id, request.id), eq(pairingRequests.status, 'pending')))
      .returning();
    if (!denied) return 'That request was already answered.';
    await this.options.audit.record({ kind: 'pairing.denied', actorPersonId: actor.person.id, platform: request.platform, subject: `${request.platform}:${request.accountId}`, detail: { request: request.id, via: actor.via } });
    return `Request from ${request.displayName} (${request.platform}:${request.accountId}) denied.`;
  }
}
