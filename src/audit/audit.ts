/**
 * Append-only audit records, each carrying the hash of the one before it. Writers are serialized
 * with a transaction-scoped advisory lock so two gateway processes cannot fork the chain.
 * Verification and pruning live in verify.ts; secrets are masked by callers (redact.ts).
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, gte, like, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { storableJson, storableText } from '../core/index.ts';
import { auditEvents, auditHead } from '../db/schema.ts';
import { RepeatedEvents } from './repeats.ts';

export interface AuditEntry {
  kind: string;
  actorPersonId?: string | null;
  platform?: string | null;
  subject?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  at: Date;
  kind: string;
  actorPersonId: string | null;
  platform: string | null;
  subject: string | null;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  /** Records this person did, or that were about them. */
  personId?: string;
  /** Tool name: the subject of tool.* records. */
  tool?: string;
  /** Exact kind, or a family with a trailing `*` / `.` (`tool.*`). */
  kind?: string;
  since?: Date;
  until?: Date;
  /** Newest first; default 50. */
  limit?: number;
}

export const GENESIS_HASH = '0'.repeat(64);
export const CHAIN_LOCK = 0x4155_4454; // "AUDT"

export function hashRecord(prevHash: string, record: { at: Date; kind: string; actorPersonId: string | null; platform: string | null; subject: string | null; detail: unknown }): string {
  const canonical = JSON.stringify([prevHash, record.at.toISOString(), record.kind, record.actorPersonId, record.platform, record.subject, canonicalize(record.detail)]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Stable JSON: object keys sorted, so jsonb's own key order cannot change a hash. */
function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonicalize((value as Record<string, unknown>)[key])]));
  }
  return value;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Appends inside a transaction that already holds CHAIN_LOCK. */
export async function appendRecord(tx: Tx | Db, entry: AuditEntry): Promise<void> {
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
  const prevHash = last?.hash ?? GENESIS_HASH;
  const row = {
    at: new Date(),
    kind: entry.kind,
    actorPersonId: entry.actorPersonId ?? null,
    platform: entry.platform ?? null,
    // A stranger's display name or a path can carry characters PostgreSQL refuses.
    subject: entry.subject == null ? null : storableText(entry.subject),
    // Hash exactly what jsonb will give back (Dates become strings, undefined disappears).
    detail: storableJson(JSON.parse(JSON.stringify(entry.detail ?? {}))) as Record<string, unknown>,
  };
  const hash = hashRecord(prevHash, row);
  const [written] = await tx.insert(auditEvents).values({ ...row, prevHash, hash }).returning({ id: auditEvents.id });
  // The head moves in the same transaction, so it always names the newest record (verify.ts).
  await tx
    .insert(auditHead)
    .values({ id: 1, lastId: written!.id, lastHash: hash })
    .onConflictDoUpdate({ target: auditHead.id, set: { lastId: written!.id, lastHash: hash, updatedAt: new Date() } });
}

export interface AuditLogOptions {
  /** Window in which repeats of one source's event are folded into a count (recordRepeated). */
  repeatWindowMs?: number;
  /** Sources told apart per window; beyond that repeats share one count. */
  repeatSources?: number;
  now?: () => number;
}

export class AuditLog {
  private readonly db: Db;
  private readonly repeats: RepeatedEvents;
  private readonly now: () => number;
  constructor(db: Db, options: AuditLogOptions = {}) {
    this.db = db;
    this.now = options.now ?? Date.now;
    this.repeats = new RepeatedEvents({ windowMs: options.repeatWindowMs ?? 10 * 60_000, maxSources: options.repeatSources ?? 1_000, now: this.now });
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
      await appendRecord(tx, entry);
    });
  }

  /**
   * For events anyone can cause over and over (refused strangers, failed authentication,
   * rate limits): the first per `source` and window is recorded, repeats become one count.
   */
  async recordRepeated(source: string, entry: AuditEntry): Promise<void> {
    for (const due of this.repeats.note(source, entry)) await this.record(due);
  }

  /** Writes the counts of windows that have closed (all of them when stopping). */
  async flushRepeated(options: { everything?: boolean } = {}): Promise<void> {
    for (const due of this.repeats.closed(this.now(), options.everything)) await this.record(due);
  }

  /** Newest first. Used by `hearth audit tail|search` and GET /admin/audit. */
  async search(query: AuditQuery = {}): Promise<AuditRecord[]> {
    const where: SQL[] = [];
    if (query.personId) where.push(or(eq(auditEvents.actorPersonId, query.personId), eq(auditEvents.subject, query.personId))!);
    if (query.tool) where.push(and(like(auditEvents.kind, 'tool.%'), eq(auditEvents.subject, query.tool))!);
    if (query.kind) {
      const family = /[.*]$/.test(query.kind) ? `${query.kind.replace(/[.*]+$/, '')}.%` : undefined;
      where.push(family ? like(auditEvents.kind, family) : eq(auditEvents.kind, query.kind));
    }
    if (query.since) where.push(gte(auditEvents.at, query.since));
    if (query.until) where.push(lte(auditEvents.at, query.until));
    const rows = await this.db
      .select()
      .from(auditEvents)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(auditEvents.id))
      .limit(Math.min(Math.max(query.limit ?? 50, 1), 10_000));
    return rows as AuditRecord[];
  }
}
