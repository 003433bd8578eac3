/**
 * Checking and pruning the audit chain. A record is intact when its hash matches its content and
 * its prev_hash is the hash of the record before it; the first record starts from the genesis
 * hash, or — after pruning — from the hash named by the newest `audit.pruned` anchor, which is
 * itself a chained record. Pruning is the only deletion the append-only trigger lets through,
 * and only inside a transaction that sets hearth.audit_prune. The newest record is also kept
 * in audit_head (written with each record): a chain ending before it lost its newest records.
 */
import { asc, gt, lt, desc, sql, and, lte, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { auditEvents, auditHead } from '../db/schema.ts';
import { CHAIN_LOCK, GENESIS_HASH, appendRecord, hashRecord, type AuditRecord } from './audit.ts';

export interface ChainProblem {
  /** The audit record (row id) where the chain breaks. */
  id: number;
  problem: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  firstId?: number;
  lastId?: number;
  /** Hash of the newest record: write it down somewhere else to detect a rewrite of the whole chain. */
  headHash: string;
  problems: ChainProblem[];
  /** Not proof of tampering, but worth a look (e.g. ids handed out after the newest record). */
  warnings: string[];
}

const BATCH = 1_000;
const MAX_PROBLEMS = 20;

export async function verifyAuditChain(database: Database): Promise<VerifyResult> {
  const problems: ChainProblem[] = [];
  const warnings: string[] = [];
  const anchors: Array<{ id: number; lastHash: string; throughId: number }> = [];
  let previous: AuditRecord | undefined;
  let first: AuditRecord | undefined;
  let records = 0;
  for (let after = 0; ; ) {
    const batch = (await database.db.select().from(auditEvents).where(gt(auditEvents.id, after)).orderBy(asc(auditEvents.id)).limit(BATCH)) as AuditRecord[];
    if (batch.length === 0) break;
    for (const row of batch) {
      records++;
      first ??= row;
      if (previous && row.prevHash !== previous.hash) {
        problems.push({ id: row.id, problem: `does not follow record ${previous.id}: a record between them was deleted, or records were reordered` });
      }
      if (hashRecord(row.prevHash, row) !== row.hash) {
        problems.push({ id: row.id, problem: 'was changed after it was written (its hash does not match its content)' });
      }
      if (row.kind === 'audit.pruned' && typeof row.detail.lastHash === 'string') {
        anchors.push({ id: row.id, lastHash: row.detail.lastHash, throughId: Number(row.detail.throughId) });
      }
      previous = row;
    }
    after = batch.at(-1)!.id;
    if (problems.length >= MAX_PROBLEMS) break;
  }
  if (first && first.prevHash !== GENESIS_HASH) {
    const anchor = anchors.at(-1);
    if (!anchor || anchor.lastHash !== first.prevHash || anchor.throughId >= first.id) {
      problems.unshift({ id: first.id, problem: 'is the oldest record but does not start the chain: older records were deleted without a prune record' });
    }
  }
  const head = await storedHead(database);
  if (head && problems.length < MAX_PROBLEMS) {
    const missing = endProblem(head, previous);
    if (missing) problems.push(missing);
  } else if (previous) {
    warnings.push('no stored head yet (it is written with the next record), so removal of the newest records cannot be checked');
  }
  if (previous && problems.length < MAX_PROBLEMS) {
    const newestHandedOut = await lastSequenceValue(database);
    if (newestHandedOut !== undefined && newestHandedOut > previous.id) {
      warnings.push(`record ids up to ${newestHandedOut} were handed out but the newest record is ${previous.id}: the newest records may have been deleted, or a write failed`);
    }
  }
  return { ok: problems.length === 0, records, firstId: first?.id, lastId: previous?.id, headHash: previous?.hash ?? GENESIS_HASH, problems: problems.slice(0, MAX_PROBLEMS), warnings };
}

async function storedHead(database: Database): Promise<{ lastId: number; lastHash: string } | undefined> {
  const [row] = await database.db.select({ lastId: auditHead.lastId, lastHash: auditHead.lastHash }).from(auditHead).where(eq(auditHead.id, 1));
  return row ? { lastId: Number(row.lastId), lastHash: row.lastHash } : undefined;
}

/**
 * The chain must end where the head (written with every record) says it ends. A chain that stops
 * earlier lost its newest records: an intact but shorter chain, which the hashes alone cannot show.
 */
function endProblem(head: { lastId: number; lastHash: string }, newest: AuditRecord | undefined): ChainProblem | undefined {
  const short = head.lastHash.slice(0, 12);
  if (!newest) return { id: head.lastId, problem: `is missing, with every record before it: the log is empty but its stored head names record #${head.lastId} (hash ${short}…)` };
  if (newest.id < head.lastId) {
    const range = newest.id + 1 === head.lastId ? `#${head.lastId}` : `#${newest.id + 1}–#${head.lastId}`;
    return { id: head.lastId, problem: `is missing: the newest records were removed (${range}, up to ${head.lastId - newest.id} records; the stored head names #${head.lastId}, hash ${short}…, but the log ends at #${newest.id})` };
  }
  if (newest.id > head.lastId) return { id: newest.id, problem: `was written without moving the stored head (which names #${head.lastId}): written outside Hearth` };
  if (newest.hash !== head.lastHash) return { id: newest.id, problem: `does not match the stored head (hash ${short}…): the newest records were replaced` };
  return undefined;
}

async function lastSequenceValue(database: Database): Promise<number | undefined> {
  try {
    const [row] = await database.rows<{ last_value: string | number; is_called: boolean }>(sql`select last_value, is_called from audit_events_id_seq`);
    return row?.is_called ? Number(row.last_value) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deletes records older than `before` and appends an `audit.pruned` anchor carrying the hash of
 * the last deleted record, so the remaining chain still verifies from its new first record.
 */
export async function pruneAuditLog(database: Database, before: Date, actor: { personId?: string | null; via: string }): Promise<{ removed: number; throughId?: number }> {
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
    const [last] = await tx.select({ id: auditEvents.id, hash: auditEvents.hash }).from(auditEvents).where(lt(auditEvents.at, before)).orderBy(desc(auditEvents.id)).limit(1);
    if (!last) return { removed: 0 };
    // The newest record always stays, so the chain keeps its head.
    const [newest] = await tx.select({ id: auditEvents.id }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
    const throughId = newest && newest.id === last.id ? last.id - 1 : last.id;
    const [boundary] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).where(lte(auditEvents.id, throughId)).orderBy(desc(auditEvents.id)).limit(1);
    if (!boundary) return { removed: 0 };
    await tx.execute(sql`select set_config('hearth.audit_prune', 'on', true)`);
    const removed = await tx.delete(auditEvents).where(and(lte(auditEvents.id, throughId))).returning({ id: auditEvents.id });
    await tx.execute(sql`select set_config('hearth.audit_prune', 'off', true)`);
    await appendRecord(tx, {
      kind: 'audit.pruned',
      actorPersonId: actor.personId ?? null,
      detail: { via: actor.via, before: before.toISOString(), throughId, removed: removed.length, lastHash: boundary.hash },
    });
    return { removed: removed.length, throughId };
  });
}
