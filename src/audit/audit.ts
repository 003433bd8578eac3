/**
 * Append-only audit records, each carrying the hash of the one before it. Writers are serialized
 * with a transaction-scoped advisory lock so two gateway processes cannot fork the chain.
 */
import { createHash } from 'node:crypto';
import { desc, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { auditEvents } from '../db/schema.ts';

export interface AuditEntry {
  kind: string;
  actorPersonId?: string | null;
  platform?: string | null;
  subject?: string | null;
  detail?: Record<string, unknown>;
}

export const GENESIS_HASH = '0'.repeat(64);
const CHAIN_LOCK = 0x4155_4454; // "AUDT"

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

export class AuditLog {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
      const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
      const prevHash = last?.hash ?? GENESIS_HASH;
      const row = {
        at: new Date(),
        kind: entry.kind,
        actorPersonId: entry.actorPersonId ?? null,
        platform: entry.platform ?? null,
        subject: entry.subject ?? null,
        detail: entry.detail ?? {},
      };
      await tx.insert(auditEvents).values({ ...row, prevHash, hash: hashRecord(prevHash, row) });
    });
  }
}
