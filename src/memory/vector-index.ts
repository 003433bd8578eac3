/**
 * One HNSW index per embedding space (model + dimension), created by code when the first
 * embedding of that space is stored. Each is a partial expression index:
 *
 *   CREATE INDEX … ON memories USING hnsw ((embedding::halfvec(768)) halfvec_cosine_ops)
 *     WHERE embedding_model = 'nomic-embed-text:latest' AND embedding_dims = 768
 *
 * On PostgreSQL the index holds half-precision copies (halfvec): half the size of a
 * full-precision graph (195 instead of 391 MB at 100k × 768), so more of it stays in memory, at
 * the same recall in bench/recall.ts, and models up to 4,000 dimensions can be indexed. On
 * embedded PGlite (WebAssembly, no hardware half-float support) halfvec made building 6× and
 * searching 2–3× slower, so there the index is over full-precision `vector` (up to 2,000
 * dimensions). The table always keeps the full vectors, for export and for exact search.
 *
 * A query uses it only when it repeats that expression and that predicate, so the model name and
 * dimension are written into the SQL as literals (a parameter would let PostgreSQL choose a
 * generic plan that cannot prove the predicate, and fall back to a scan). See schema.ts for why
 * the column itself has no fixed dimension.
 */
import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';

export interface EmbeddingSpace {
  model: string;
  dims: number;
}

/**
 * Graph parameters, chosen with bench/recall.ts (100k clustered 768-dim memories, a visibility
 * filter on every search): m = 16 with ef_construction = 128 reaches recall@10 0.96 at
 * ef_search 100 and 0.99 at 150 for about 1 ms more than pgvector's default ef_construction 64,
 * which needed ef_search 150+ for 0.95. m = 24 was as accurate but built 30% slower.
 */
export const HNSW = { m: 16, efConstruction: 128 };
/** full: `vector` (PGlite) · half: `halfvec` (PostgreSQL); see the comment at the top. */
export type IndexPrecision = 'full' | 'half';

export function precisionFor(database: Pick<Database, 'driver'>): IndexPrecision {
  return database.driver === 'pglite' ? 'full' : 'half';
}

/** pgvector indexes `vector` up to 2,000 dimensions and `halfvec` up to 4,000; larger models are searched exactly. */
export function maxIndexedDims(precision: IndexPrecision): number {
  return precision === 'half' ? 4000 : 2000;
}

const typeOf = (precision: IndexPrecision) => (precision === 'half' ? 'halfvec' : 'vector');

const INDEX_PREFIX = 'memories_embedding_';

export function indexName(space: EmbeddingSpace, precision: IndexPrecision): string {
  const digest = createHash('sha256').update(`${typeOf(precision)}\u0000${space.model}\u0000${space.dims}`).digest('hex').slice(0, 12);
  return `${INDEX_PREFIX}${digest}_idx`;
}

/** A SQL string literal; only for values from configuration, never from chat text. */
export function literal(value: string): SQL {
  return sql.raw(`'${value.replace(/'/g, "''")}'`);
}

function dimsOf(space: EmbeddingSpace): SQL {
  if (!Number.isInteger(space.dims) || space.dims <= 0 || space.dims > 16_000) throw new Error(`invalid embedding dimension ${space.dims}`);
  return sql.raw(String(space.dims));
}

/** The partial-index predicate: rows embedded in this space. */
export function inSpace(space: EmbeddingSpace): SQL {
  return sql`memories.embedding_model = ${literal(space.model)} and memories.embedding_dims = ${dimsOf(space)}`;
}

/**
 * Cosine distance between each row's embedding and the query vector: as the index sees it, or at
 * full precision with `exact` (the benchmark's ground truth).
 */
export function cosineDistance(space: EmbeddingSpace, query: number[], options: { precision: IndexPrecision; exact?: boolean }): SQL {
  if (query.length !== space.dims) throw new Error(`query vector has ${query.length} dimensions, expected ${space.dims}`);
  const dims = dimsOf(space);
  const type = sql.raw(options.exact || space.dims > maxIndexedDims(options.precision) ? 'vector' : typeOf(options.precision));
  return sql`(memories.embedding::${type}(${dims}) <=> ${vectorText(query)}::${type}(${dims}))`;
}

export function vectorText(vector: number[]): string {
  return `[${vector.join(',')}]`;
}

const versions = new WeakMap<Database, Promise<number[]>>();

/** The installed pgvector version as [major, minor, patch] (cached per database). */
export function pgvectorVersion(database: Database): Promise<number[]> {
  let version = versions.get(database);
  if (!version) {
    version = database
      .rows<{ v: string }>(sql`select extversion as v from pg_extension where extname = 'vector'`)
      .then((rows) => (rows[0]?.v ?? '0').split('.').map(Number));
    versions.set(database, version);
  }
  return version;
}

/** halfvec indexes need pgvector 0.7, filtered searches that keep scanning (iterative scans) 0.8. */
export async function pgvectorAtLeast(database: Database, major: number, minor: number): Promise<boolean> {
  const [a = 0, b = 0] = await pgvectorVersion(database);
  return a > major || (a === major && b >= minor);
}

const ensured = new WeakMap<Database, Set<string>>();

/** Creates the index for this space if it does not exist yet; cheap after the first call. */
export async function ensureVectorIndex(database: Database, space: EmbeddingSpace): Promise<{ created: boolean; name: string }> {
  const precision = precisionFor(database);
  const name = indexName(space, precision);
  const known = ensured.get(database) ?? ensured.set(database, new Set()).get(database)!;
  if (known.has(name) || space.dims > maxIndexedDims(precision)) return { created: false, name };
  const [existing] = await database.rows<{ present: boolean }>(sql`select to_regclass(${name}) is not null as present`);
  if (existing?.present) {
    known.add(name);
    return { created: false, name };
  }
  const dims = dimsOf(space);
  await database.db.transaction(async (tx) => {
    // Building a graph over many rows (after an import or a reindex) needs it in memory to be fast.
    await tx.execute(sql.raw(`set local maintenance_work_mem = '${database.driver === 'pglite' ? '256MB' : '1GB'}'`));
    await tx.execute(
      sql`create index if not exists ${sql.identifier(name)} on memories using hnsw ((embedding::${sql.raw(typeOf(precision))}(${dims})) ${sql.raw(typeOf(precision))}_cosine_ops) with (m = ${sql.raw(String(HNSW.m))}, ef_construction = ${sql.raw(String(HNSW.efConstruction))}) where ${inSpace(space)}`,
    );
  });
  known.add(name);
  return { created: true, name };
}

/** Drops the indexes of spaces no memory uses any more (after a reindex to a new model). */
export async function dropUnusedVectorIndexes(database: Database, current: EmbeddingSpace): Promise<string[]> {
  const keep = indexName(current, precisionFor(database));
  const indexes = await database.rows<{ name: string }>(sql`select indexname as name from pg_indexes where tablename = 'memories' and indexname like ${`${INDEX_PREFIX}%`}`);
  const [others] = await database.rows<{ n: number }>(sql`select count(*)::int as n from memories where embedding is not null and (embedding_model <> ${current.model} or embedding_dims <> ${current.dims})`);
  if (Number(others?.n ?? 0) > 0) return [];
  const dropped: string[] = [];
  for (const { name } of indexes) {
    if (name === keep) continue;
    await database.rows(sql`drop index if exists ${sql.identifier(name)}`);
    ensured.get(database)?.delete(name);
    dropped.push(name);
  }
  return dropped;
}
