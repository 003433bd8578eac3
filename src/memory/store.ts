/**
 * Long-term memories: write (validated, never a secret), embed (now, or later when Ollama is
 * back), list, delete for real, and re-embed when the embedding model changes.
 */
import { and, asc, desc, eq, gt, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { EmbeddingUnavailableError, type Embedder } from './embedder.ts';
import { memories, type MemoryScope } from './schema.ts';
import { messages } from '../db/schema.ts';
import { secretIn } from './secrets.ts';
import { dropUnusedVectorIndexes, ensureVectorIndex, type EmbeddingSpace } from './vector-index.ts';
import { visibleTo, type Viewer } from './privacy.ts';

export interface Memory {
  id: number;
  text: string;
  scope: MemoryScope;
  personId: string | null;
  roomKey: string | null;
  createdBy: string | null;
  sourceJournalId: number | null;
  embeddingModel: string | null;
  embeddingDims: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewMemory {
  text: string;
  scope: MemoryScope;
  /** Person scope: whose memory it is (always the sender, never a person named by the model). */
  personId?: string | null;
  /** Room scope: the conversation key. */
  roomKey?: string | null;
  createdBy?: string | null;
  sourceJournalId?: number | null;
  createdAt?: Date;
  /** An embedding carried over (import of the same model); otherwise one is made now or later. */
  embedding?: { vector: number[]; model: string };
  /** false: leave the embedding pending (bulk imports embed in batches afterwards). */
  embedNow?: boolean;
}

/** Why a memory was not stored, in words for the person or the model that asked. */
export class MemoryRejectedError extends Error {
  override name = 'MemoryRejectedError';
}

export interface MemoryStoreOptions {
  database: Database;
  embedder: Embedder;
  log: Logger;
  maxChars: number;
  /** Counts embedding failures by operation (metrics). */
  onEmbedFailure?: (operation: 'write' | 'retry' | 'reindex' | 'recall') => void;
}

export const memoryColumns = {
  id: memories.id,
  text: memories.text,
  scope: memories.scope,
  personId: memories.personId,
  roomKey: memories.roomKey,
  createdBy: memories.createdBy,
  sourceJournalId: memories.sourceJournalId,
  embeddingModel: memories.embeddingModel,
  embeddingDims: memories.embeddingDims,
  createdAt: memories.createdAt,
  updatedAt: memories.updatedAt,
};

export class MemoryStore {
  readonly database: Database;
  readonly embedder: Embedder;
  private readonly log: Logger;
  private readonly maxChars: number;
  private readonly onEmbedFailure: NonNullable<MemoryStoreOptions['onEmbedFailure']>;

  constructor(options: MemoryStoreOptions) {
    this.database = options.database;
    this.embedder = options.embedder;
    this.log = options.log;
    this.maxChars = options.maxChars;
    this.onEmbedFailure = options.onEmbedFailure ?? (() => {});
  }

  private get db() {
    return this.database.db;
  }

  /** The cleaned text, or a MemoryRejectedError saying what is wrong with it. */
  validate(text: string): string {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (!clean) throw new MemoryRejectedError('There is nothing to remember: the memory text is empty.');
    if (clean.length > this.maxChars) {
      throw new MemoryRejectedError(`That is too long to remember (${clean.length} characters; the limit is ${this.maxChars}). Shorten it to the fact that matters.`);
    }
    const secret = secretIn(clean);
    if (secret) {
      throw new MemoryRejectedError(`That looks like it contains ${secret}, and I never store secrets in memory (memories are recalled into conversations and exported). Keep it in a password manager instead.`);
    }
    return clean;
  }

  /** Stores a memory (or finds the identical one already stored) and embeds it if Ollama answers. */
  async add(input: NewMemory): Promise<{ memory: Memory; duplicate: boolean; embedded: boolean }> {
    const text = this.validate(input.text);
    const owner = ownerOf(input);
    const [existing] = await this.db
      .select(memoryColumns)
      .from(memories)
      .where(and(owner, sql`lower(${memories.text}) = lower(${text})`))
      .limit(1);
    if (existing) return { memory: existing as Memory, duplicate: true, embedded: existing.embeddingModel !== null };
    const carried = input.embedding && input.embedding.model === this.embedder.model ? input.embedding.vector : undefined;
    const [row] = await this.db
      .insert(memories)
      .values({
        text,
        scope: input.scope,
        personId: input.scope === 'person' ? input.personId : null,
        roomKey: input.scope === 'room' ? input.roomKey : null,
        createdBy: input.createdBy ?? null,
        sourceJournalId: input.sourceJournalId ?? null,
        createdAt: input.createdAt,
        ...(carried ? { embedding: carried, embeddingModel: this.embedder.model, embeddingDims: carried.length, embeddedAt: new Date() } : {}),
      })
      .returning(memoryColumns);
    const memory = row as Memory;
    if (carried) {
      await ensureVectorIndex(this.database, { model: this.embedder.model, dims: carried.length });
      return { memory, duplicate: false, embedded: true };
    }
    if (input.embedNow === false) return { memory, duplicate: false, embedded: false };
    const embedded = await this.embedRows([memory], 'write').then(
      (count) => count === 1,
      (error: unknown) => {
        if (!(error instanceof EmbeddingUnavailableError)) throw error;
        this.log.warn({ err: error, memory: memory.id }, 'memory stored without an embedding; it will be embedded when Ollama answers again');
        return false;
      },
    );
    return { memory: embedded ? ((await this.get(memory.id)) ?? memory) : memory, duplicate: false, embedded };
  }

  /** Embeds these memories with the current model and stores the vectors. */
  private async embedRows(rows: Array<Pick<Memory, 'id' | 'text'>>, operation: 'write' | 'retry' | 'reindex', options: { deferIndex?: boolean } = {}): Promise<number> {
    if (rows.length === 0) return 0;
    let vectors: number[][];
    try {
      vectors = await this.embedder.embed(
        rows.map((r) => r.text),
        { probe: operation !== 'write' },
      );
    } catch (error) {
      this.onEmbedFailure(operation);
      await this.db
        .update(memories)
        .set({ embedAttempts: sql`${memories.embedAttempts} + 1` })
        .where(inArray(memories.id, rows.map((r) => r.id)));
      throw error;
    }
    const dims = vectors[0]!.length;
    if (vectors.some((v) => v.length !== dims)) throw new Error(`${this.embedder.model} returned embeddings of different sizes`);
    if (!options.deferIndex) await ensureVectorIndex(this.database, { model: this.embedder.model, dims });
    const model = this.embedder.model;
    await this.db.transaction(async (tx) => {
      for (const [i, row] of rows.entries()) {
        await tx.update(memories).set({ embedding: vectors[i]!, embeddingModel: model, embeddingDims: dims, embeddedAt: new Date() }).where(eq(memories.id, row.id));
      }
    });
    return rows.length;
  }

  /** Embeds memories whose embedding is pending (stored while Ollama was down, or imported). */
  async embedPending(options: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<number> {
    const batchSize = options.batchSize ?? 32;
    const total = options.onProgress ? Number((await this.database.rows<{ n: number }>(sql`select count(*)::int as n from memories where embedding is null`))[0]?.n ?? 0) : 0;
    let done = 0;
    for (;;) {
      const rows = await this.db.select({ id: memories.id, text: memories.text }).from(memories).where(isNull(memories.embedding)).orderBy(asc(memories.id)).limit(batchSize);
      if (rows.length === 0) return done;
      done += await this.embedRows(rows, 'retry');
      options.onProgress?.(done, Math.max(total, done));
      if (rows.length < batchSize) return done;
    }
  }

  /** Which embedding models the stored memories were embedded with, and how many are pending. */
  async spaces(): Promise<{ spaces: Array<EmbeddingSpace & { count: number }>; pending: number }> {
    const rows = await this.database.rows<{ model: string | null; dims: number | null; n: number }>(
      sql`select embedding_model as model, embedding_dims as dims, count(*)::int as n from memories group by 1, 2 order by 3 desc`,
    );
    return {
      spaces: rows.filter((r) => r.model !== null).map((r) => ({ model: r.model!, dims: Number(r.dims), count: Number(r.n) })),
      pending: Number(rows.find((r) => r.model === null)?.n ?? 0),
    };
  }

  /**
   * Re-embeds, in batches, every memory not embedded with the current model (all of them with
   * `all`), then builds that model's index and drops indexes no memory uses any more.
   */
  async reindex(options: { batchSize?: number; all?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<{ reembedded: number; total: number; droppedIndexes: string[] }> {
    const batchSize = options.batchSize ?? 64;
    const model = this.embedder.model;
    const stale: SQL = options.all ? sql`true` : or(isNull(memories.embedding), sql`${memories.embeddingModel} is distinct from ${model}`)!;
    const [{ total }] = (await this.database.rows<{ total: number }>(sql`select count(*)::int as total from memories where ${stale}`)) as [{ total: number }];
    let done = 0;
    let lastId = 0;
    options.onProgress?.(0, Number(total));
    for (;;) {
      const rows = await this.db
        .select({ id: memories.id, text: memories.text })
        .from(memories)
        .where(and(stale, gt(memories.id, lastId)))
        .orderBy(asc(memories.id))
        .limit(batchSize);
      if (rows.length === 0) break;
      done += await this.embedRows(rows, 'reindex', { deferIndex: true });
      lastId = rows.at(-1)!.id;
      options.onProgress?.(done, Number(total));
    }
    let droppedIndexes: string[] = [];
    const [sample] = await this.db.select({ dims: memories.embeddingDims }).from(memories).where(eq(memories.embeddingModel, model)).limit(1);
    if (sample?.dims) {
      const space = { model, dims: sample.dims };
      await ensureVectorIndex(this.database, space);
      droppedIndexes = await dropUnusedVectorIndexes(this.database, space);
    }
    return { reembedded: done, total: Number(total), droppedIndexes };
  }

  /**
   * Merges the full-text index's pending list (GIN fastupdate) into the index. PostgreSQL's
   * autovacuum does this on its own; PGlite has no autovacuum, and a long pending list is scanned
   * by every search. Cheap when there is nothing to merge.
   */
  async tidy(): Promise<void> {
    await this.database.rows(sql`select gin_clean_pending_list('memories_text_idx'::regclass)`);
  }

  async get(id: number): Promise<Memory | undefined> {
    const [row] = await this.db.select(memoryColumns).from(memories).where(eq(memories.id, id)).limit(1);
    return row as Memory | undefined;
  }

  /** What this viewer may see in this conversation, newest first; optionally only some scopes. */
  async listVisible(viewer: Viewer, options: { scopes?: MemoryScope[]; limit?: number } = {}): Promise<Memory[]> {
    const scopes = options.scopes ? sql`and ${memories.scope} in ${options.scopes}` : sql``;
    const rows = await this.db
      .select(memoryColumns)
      .from(memories)
      .where(sql`${visibleTo(viewer)} ${scopes}`)
      .orderBy(desc(memories.id))
      .limit(options.limit ?? 50);
    return rows as Memory[];
  }

  /** Visible memories whose text contains `text` (case-insensitive), for "/forget <text>". */
  async findVisible(viewer: Viewer, text: string, limit = 10): Promise<Memory[]> {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.db
      .select(memoryColumns)
      .from(memories)
      .where(sql`${visibleTo(viewer)} and ${memories.text} ilike ${pattern}`)
      .orderBy(desc(memories.id))
      .limit(limit);
    return rows as Memory[];
  }

  /**
   * Hard delete: the row and its embedding are gone (no soft-delete flag, no copy kept), and so is
   * its text in the per-turn notes history replays (where it was recalled into a prompt).
   */
  async remove(id: number): Promise<Memory | undefined> {
    const row = await this.db.transaction(async (tx) => {
      const [deleted] = await tx.delete(memories).where(eq(memories.id, id)).returning(memoryColumns);
      if (deleted) await tx.update(messages).set({ note: sql`replace(${messages.note}, ${deleted.text}, '(forgotten)')` }).where(sql`position(${deleted.text} in ${messages.note}) > 0`);
      return deleted;
    });
    return row as Memory | undefined;
  }

  /** Every memory (or one person's private memories) with its embedding, in id order, in batches. */
  async *exportAll(options: { personId?: string; batchSize?: number } = {}): AsyncGenerator<Memory & { embedding: number[] | null }> {
    let lastId = 0;
    const filter = options.personId ? and(eq(memories.scope, 'person'), eq(memories.personId, options.personId)) : undefined;
    for (;;) {
      const rows = await this.db
        .select({ ...memoryColumns, embedding: memories.embedding })
        .from(memories)
        .where(and(filter, gt(memories.id, lastId)))
        .orderBy(asc(memories.id))
        .limit(options.batchSize ?? 500);
      if (rows.length === 0) return;
      for (const row of rows) yield row as Memory & { embedding: number[] | null };
      lastId = rows.at(-1)!.id;
    }
  }
}

/** The condition that finds memories with the same owner as `input` (for de-duplication). */
function ownerOf(input: Pick<NewMemory, 'scope' | 'personId' | 'roomKey'>): SQL {
  if (input.scope === 'person') {
    if (!input.personId) throw new Error('a person memory needs its person');
    return and(eq(memories.scope, 'person'), eq(memories.personId, input.personId))!;
  }
  if (input.scope === 'room') {
    if (!input.roomKey) throw new Error('a room memory needs its room');
    return and(eq(memories.scope, 'room'), eq(memories.roomKey, input.roomKey))!;
  }
  return eq(memories.scope, 'household');
}
