/**
 * `ask`: one tool call waits while an approver is asked in their direct chat, with the tool, its
 * arguments (secrets masked) and how long they have. The answer is one atomic update of a
 * pending row, so exactly one decision counts and an approved call runs once; no answer in time
 * is a no. Waiting holds one of the gateway's turn slots, so at most concurrency − 1 calls wait
 * at once and there is always a slot left to hear the approver's answer.
 */
import { and, desc, eq, gt, lte, sql } from 'drizzle-orm';
import type { ConversationRef } from '../core/index.ts';
import type { Db } from '../db/client.ts';
import type { AuditLog } from '../audit/audit.ts';
import { describeArguments } from '../audit/redact.ts';
import type { ApprovalAnswer, ApprovalRequest } from '../tools/permissions.ts';
import { conversationKeyOf } from '../pipeline/context.ts';
import { toolApprovals } from './schema.ts';
import { CodeAttempts, newCode, normalizeCode } from './codes.ts';
import type { Contacts } from './contacts.ts';
import type { People, Person } from './people.ts';
import type { Actor } from './grants.ts';

export type Notify = (target: { platform: string; conversation: ConversationRef; text: string }) => Promise<void>;

export interface ApprovalsOptions {
  db: Db;
  audit: AuditLog;
  people: People;
  contacts: Contacts;
  notify: Notify;
  /** Platforms that can deliver a message right now. */
  platforms: () => string[];
  /** "owner" and/or person references. */
  approvers: string[];
  timeoutMs: number;
  maxWaiting: number;
  roleName: (person: Person) => string;
}

export interface TurnOrigin {
  requester: Person;
  platform: string;
  conversation: ConversationRef;
}

type Row = typeof toolApprovals.$inferSelect;

/** An MCP tool's request names its server: the approver should know whose code would run. */
const fromServer = (group: string | undefined) => (group?.startsWith('mcp:') ? ` from the MCP server "${group.slice(4)}"` : '');

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

export class Approvals {
  private readonly options: ApprovalsOptions;
  private readonly wakeups = new Map<number, () => void>();
  private readonly refusals = new CodeAttempts({ failures: 5, windowSeconds: 15 * 60 });
  private waiting = 0;
  constructor(options: ApprovalsOptions) {
    this.options = options;
  }

  /** The people who may answer requests (never a request of their own, unless they are the owner). */
  async approvers(): Promise<Person[]> {
    const found: Person[] = [];
    for (const reference of this.options.approvers) {
      const person = reference === 'owner' ? await this.options.people.owner() : await this.options.people.find(reference);
      if (person && !found.some((p) => p.id === person.id)) found.push(person);
    }
    return found;
  }

  async isApprover(person: Person): Promise<boolean> {
    return (await this.approvers()).some((p) => p.id === person.id);
  }

  async request(origin: TurnOrigin, request: ApprovalRequest): Promise<ApprovalAnswer> {
    const { audit } = this.options;
    const base = { actorPersonId: origin.requester.id, platform: origin.platform, subject: request.tool.name };
    const unavailable = async (reason: string): Promise<ApprovalAnswer> => {
      await audit.record({ ...base, kind: 'approval.unavailable', detail: { reason, arguments: request.arguments } });
      return { approved: false, outcome: 'unavailable', decidedBy: null };
    };
    if (this.waiting >= this.options.maxWaiting) return unavailable(this.options.maxWaiting === 0 ? 'approvals need HEARTH_CONCURRENCY of 2 or more' : 'too many requests are already waiting');
    const approvers = (await this.approvers()).filter((p) => p.id !== origin.requester.id || p.role === 'owner');
    const targets = [];
    const here = conversationKeyOf(origin);
    for (const approver of approvers) {
      // Not in the conversation that is waiting: its messages are answered in order, so a
      // "yes" there would queue behind the very turn it should release.
      const [contact] = (await this.options.contacts.of(approver.id, this.options.platforms())).filter((c) => conversationKeyOf(c) !== here);
      if (contact) targets.push({ approver, ...contact });
    }
    if (targets.length === 0) return unavailable('no approver has another direct chat with me on a connected platform');

    const row = await this.insert(origin, request, targets.map((t) => conversationKeyOf(t)));
    const seconds = Math.round(this.options.timeoutMs / 1000);
    const prompt = [
      `${origin.requester.displayName} (${this.options.roleName(origin.requester)}) wants me to use **${request.tool.name}**${fromServer(request.tool.group)} (${request.tool.risk}) with:`,
      request.tool.approvalText?.(request.arguments) ?? describeArguments(request.arguments),
      `Reply **yes** or **no** within ${seconds < 120 ? `${seconds} seconds` : `${Math.round(seconds / 60)} minutes`} (or /approve ${row.code} · /deny ${row.code}).`,
    ].join('\n');
    await audit.record({ ...base, kind: 'approval.requested', detail: { request: row.id, arguments: request.arguments, askedIn: row.askedIn, approvers: targets.map((t) => t.approver.id) } });
    for (const target of targets) {
      await this.options.notify({ platform: target.platform, conversation: target.conversation, text: prompt }).catch(() => undefined);
    }
    const who = targets.map((t) => t.approver.displayName).join(' or ');
    await this.options.notify({ platform: origin.platform, conversation: origin.conversation, text: `I need ${who}'s OK to use ${request.tool.name}; I've asked and will go on when they answer.` }).catch(() => undefined);
    return this.wait(row, request.signal);
  }

  private async insert(origin: TurnOrigin, request: ApprovalRequest, askedIn: string[]): Promise<Row> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [row] = await this.options.db
          .insert(toolApprovals)
          .values({
            code: newCode(5),
            requesterPersonId: origin.requester.id,
            tool: request.tool.name,
            arguments: request.arguments,
            platform: origin.platform,
            conversationKey: conversationKeyOf(origin),
            askedIn,
            expiresAt: new Date(Date.now() + this.options.timeoutMs),
          })
          .returning();
        return row!;
      } catch (error) {
        if (attempt >= 3) throw error; // a code collision with another pending request: draw again
      }
    }
  }

  private async wait(row: Row, signal?: AbortSignal): Promise<ApprovalAnswer> {
    this.waiting++;
    try {
      while (Date.now() < row.expiresAt.getTime() && !signal?.aborted) {
        const decided = await this.decided(row.id);
        if (decided) return decided;
        const wake = new Promise<void>((resolve) => this.wakeups.set(row.id, resolve));
        // The in-process wake-up is instant; polling covers an approver answering through another gateway process.
        await Promise.race([wake, sleep(Math.min(500, Math.max(0, row.expiresAt.getTime() - Date.now())), signal)]);
      }
      const [expired] = await this.options.db
        .update(toolApprovals)
        .set({ status: 'expired', decidedAt: new Date() })
        .where(and(eq(toolApprovals.id, row.id), eq(toolApprovals.status, 'pending')))
        .returning();
      if (!expired) return (await this.decided(row.id)) ?? { approved: false, outcome: 'expired', decidedBy: null };
      await this.options.audit.record({ kind: 'approval.expired', actorPersonId: row.requesterPersonId, platform: row.platform, subject: row.tool, detail: { request: row.id } });
      return { approved: false, outcome: 'expired', decidedBy: null };
    } finally {
      this.waiting--;
      this.wakeups.delete(row.id);
    }
  }

  private async decided(id: number): Promise<ApprovalAnswer | undefined> {
    const [row] = await this.options.db.select({ status: toolApprovals.status, decidedBy: toolApprovals.decidedBy }).from(toolApprovals).where(eq(toolApprovals.id, id));
    if (!row || row.status === 'pending') return undefined;
    if (row.status === 'approved') return { approved: true, outcome: 'approved', decidedBy: row.decidedBy };
    return { approved: false, outcome: row.status === 'denied' ? 'denied' : 'expired', decidedBy: row.decidedBy };
  }

  /** Pending requests that were posted into this conversation. */
  async pendingIn(conversationKey: string): Promise<Row[]> {
    return this.options.db
      .select()
      .from(toolApprovals)
      .where(and(eq(toolApprovals.status, 'pending'), gt(toolApprovals.expiresAt, new Date()), sql`${toolApprovals.askedIn} @> ${JSON.stringify([conversationKey])}::jsonb`))
      .orderBy(desc(toolApprovals.id));
  }

  /** Every request still waiting for an answer, oldest first (the web admin's requests page). */
  async pending(): Promise<Row[]> {
    return this.options.db
      .select()
      .from(toolApprovals)
      .where(and(eq(toolApprovals.status, 'pending'), gt(toolApprovals.expiresAt, new Date())))
      .orderBy(toolApprovals.id);
  }

  async pendingById(id: number): Promise<Row | undefined> {
    const [row] = await this.options.db.select().from(toolApprovals).where(and(eq(toolApprovals.id, id), eq(toolApprovals.status, 'pending')));
    return row;
  }

  /**
   * The one answer for someone who may not answer requests, whatever code they typed: nothing
   * is looked up, so it cannot tell a live code from a made-up one. Counted per sender
   * (throttled, audited once per window with a count).
   */
  async refuseNonApprover(actor: Actor, platform: string): Promise<string> {
    const blocked = await this.refusals.blockedFor(actor.person.id);
    if (!blocked) await this.refusals.fail(actor.person.id);
    await this.options.audit.recordRepeated(`approve:${actor.person.id}`, { kind: 'approval.refused', actorPersonId: actor.person.id, platform, detail: { reason: 'not an approver', throttled: blocked > 0, via: actor.via } });
    return 'Only an approver can answer requests.';
  }

  /** The newest request with this code, whatever its state (to say "already answered"). */
  async byCode(code: string): Promise<Row | undefined> {
    const [row] = await this.options.db.select().from(toolApprovals).where(eq(toolApprovals.code, normalizeCode(code))).orderBy(desc(toolApprovals.id)).limit(1);
    return row;
  }

  async pendingByCode(code: string): Promise<Row | undefined> {
    const [row] = await this.options.db.select().from(toolApprovals).where(and(eq(toolApprovals.code, normalizeCode(code)), eq(toolApprovals.status, 'pending')));
    return row;
  }

  /** Records one answer. The caller has found the request; this checks who may answer it. */
  async decide(actor: Actor, row: Row, approve: boolean): Promise<string> {
    if (actor.via === 'chat' && !(await this.isApprover(actor.person))) return 'Only an approver can answer that request.';
    if (actor.via === 'chat' && row.requesterPersonId === actor.person.id && actor.person.role !== 'owner') return "You can't approve your own request.";
    const [decided] = await this.options.db
      .update(toolApprovals)
      .set({ status: approve ? 'approved' : 'denied', decidedBy: actor.person.id, decidedAt: new Date() })
      .where(and(eq(toolApprovals.id, row.id), eq(toolApprovals.status, 'pending'), gt(toolApprovals.expiresAt, new Date())))
      .returning();
    if (!decided) return 'That request was already answered or has expired.';
    await this.options.audit.record({
      kind: 'approval.decided',
      actorPersonId: actor.person.id,
      platform: row.platform,
      subject: row.tool,
      detail: { request: row.id, requester: row.requesterPersonId, decision: approve ? 'approved' : 'denied', via: actor.via },
    });
    this.wakeups.get(row.id)?.();
    const requester = row.requesterPersonId ? await this.options.people.get(row.requesterPersonId) : undefined;
    return approve ? `Approved: ${requester?.displayName ?? 'they'} may use ${row.tool} this once.` : `Denied: ${row.tool} will not run.`;
  }

  /** Marks requests nobody is waiting for any more (a process died mid-wait) as expired. */
  async expireStale(): Promise<void> {
    await this.options.db.update(toolApprovals).set({ status: 'expired', decidedAt: new Date() }).where(and(eq(toolApprovals.status, 'pending'), lte(toolApprovals.expiresAt, new Date())));
  }
}
