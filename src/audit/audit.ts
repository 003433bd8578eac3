/**
 * Append-only audit records, each carrying the hash of the one before it. Writers are serialized
 * with a transaction-scoped advisory lock so two gateway processes cannot fork the chain.
 * Verification and pruning live in verify.ts; secrets are masked by callers (redact.ts).
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, gte, like, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { auditEvents } from '../db/schema.ts';

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
    subject: entry.subject ?? null,
    // Hash exactly what jsonb will give back (Dates become strings, undefined disappears).
    detail: JSON.parse(JSON.stringify(entry.detail ?? {})) as Record<string, unknown>,
  };
  await tx.insert(auditEvents).values({ ...row, prevHash, hash: hashRecord(prevHash, row) });
}

export class AuditLog {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
      await appendRecord(tx, entry);
    });
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
