/**
 * One HNSW index per embedding space (model + dimension), created by code when the first
 * embedding of that space is stored. Each is a partial expression index:
 *
 *   CREATE INDEX … ON memories USING hnsw ((embedding::vector(768)) vector_cosine_ops)
 *     WHERE embedding_model = 'nomic-embed-text:latest' AND embedding_dims = 768
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
 * Graph parameters, chosen with bench/recall.ts: m = 16 and ef_construction = 64 (pgvector's
 * defaults) already give recall@10 ≥ 0.95 at 100k clustered 768-dim vectors with ef_search 64.
 */
export const HNSW = { m: 16, efConstruction: 64 };
/** pgvector indexes `vector` up to 2,000 dimensions; larger models are searched exactly. */
export const MAX_INDEXED_DIMS = 2000;

const INDEX_PREFIX = 'memories_embedding_';

export function indexName(space: EmbeddingSpace): string {
  const digest = createHash('sha256').update(`${space.model}\u0000${space.dims}`).digest('hex').slice(0, 12);
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
export function inSpace(space: EmbeddingSpace, table = 'memories'): SQL {
  return sql`${sql.raw(table)}.embedding_model = ${literal(space.model)} and ${sql.raw(table)}.embedding_dims = ${dimsOf(space)}`;
}

/** Cosine distance between each row's embedding and the query vector, as the index sees it. */
export function cosineDistance(space: EmbeddingSpace, query: number[], table = 'memories'): SQL {
  if (query.length !== space.dims) throw new Error(`query vector has ${query.length} dimensions, expected ${space.dims}`);
  const dims = dimsOf(space);
  return sql`(${sql.raw(table)}.embedding::vector(${dims}) <=> ${vectorText(query)}::vector(${dims}))`;
}

export function vectorText(vector: number[]): string {
  return `[${vector.join(',')}]`;
}

const ensured = new WeakMap<Database, Set<string>>();

/** Creates the index for this space if it does not exist yet; cheap after the first call. */
export async function ensureVectorIndex(database: Database, space: EmbeddingSpace): Promise<{ created: boolean; name: string }> {
  const name = indexName(space);
  const known = ensured.get(database) ?? ensured.set(database, new Set()).get(database)!;
  if (known.has(name) || space.dims > MAX_INDEXED_DIMS) return { created: false, name };
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
      sql`create index if not exists ${sql.identifier(name)} on memories using hnsw ((embedding::vector(${dims})) vector_cosine_ops) with (m = ${sql.raw(String(HNSW.m))}, ef_construction = ${sql.raw(String(HNSW.efConstruction))}) where ${inSpace(space)}`,
    );
  });
  known.add(name);
  return { created: true, name };
}

/** Drops the indexes of spaces no memory uses any more (after a reindex to a new model). */
export async function dropUnusedVectorIndexes(database: Database, current: EmbeddingSpace): Promise<string[]> {
  const keep = indexName(current);
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
