/**
 * Recall at scale: p50/p99 latency of the real hybrid recall (vector + full-text, fused) over
 * 10k and 100k memories of 768 dimensions, HNSW build time, and recall@10 of the vector side
 * against exact search on the same data, for a few hnsw.ef_search values.
 *
 * Data: clustered vectors (64 random centres, each memory a centre plus noise) — closer to real
 * embeddings than uniform noise, on which every HNSW is at its worst — generated inside the
 * database so loading 100k rows takes seconds, not a 700 MB INSERT. Scopes are spread like a
 * busy household: 40% household, 30% private to one of 20 people, 30% in one of 10 rooms; the
 * queries are made by one person in one room, so the visibility filter is part of every search.
 */
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { DEFAULT_EF_SEARCH, nearestMemoryIds, searchMemories } from '../src/memory/recall.ts';
import { ensureVectorIndex, HNSW } from '../src/memory/vector-index.ts';
import { createTestDatabase } from '../test/helpers/databases.ts';
import { percentile } from './stats.ts';

const DIMS = 768;
const CENTRES = 64;
const NOISE = 0.6;
const VOCABULARY = 5000;
const MODEL = 'bench-embed:latest';
const EF_SEARCH_VALUES = [40, 80, 120, 200];
/** The default of memory.efSearch (HEARTH_MEMORY_EF_SEARCH). */
const CONFIGURED_EF_SEARCH = DEFAULT_EF_SEARCH;

export interface RecallFigures {
  driver: string;
  memories: number;
  dims: number;
  loadSeconds: number;
  indexBuildSeconds: number;
  hnsw: { m: number; efConstruction: number };
  /** The hybrid recall Hearth runs before each turn (vector + full-text + fusion), at the configured ef_search. */
  hybridMs: { efSearch: number; p50: number; p99: number };
  /** The vector side alone, and how many of the exact 10 nearest it finds, per ef_search. */
  vector: Array<{ efSearch: number; p50: number; p99: number; recallAt10: number }>;
}

/** A small seeded generator so every run (and every driver) measures the same data and queries. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function loadBenchMemories(database: Database, count: number, centres: number[][]): Promise<void> {
  await database.rows(sql`drop table if exists bench_centres`);
  await database.rows(sql`create table bench_centres (c int primary key, v float8[] not null)`);
  for (const [c, v] of centres.entries()) await database.rows(sql`insert into bench_centres values (${c}, ${`{${v.join(',')}}`}::float8[])`);
  await database.rows(sql`insert into people (id, display_name, role) select 'bench-' || p, 'Person ' || p, 'member' from generate_series(0, 19) p on conflict do nothing`);
  const batch = database.driver === 'pglite' ? 2_000 : 10_000;
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch) - 1;
    await database.rows(sql`
      insert into memories (text, scope, person_id, room_key, embedding, embedding_model, embedding_dims, embedded_at)
      select
        (select string_agg('w' || (floor(random() * ${VOCABULARY}::int))::int, ' ') from generate_series(1, 8) w where i >= 0),
        case when i % 10 < 4 then 'household' when i % 10 < 7 then 'person' else 'room' end,
        case when i % 10 between 4 and 6 then 'bench-' || (i / 10) % 20 end,
        case when i % 10 >= 7 then 'bench:room-' || (i / 10) % 10 end,
        (select array_agg(x + (random() - 0.5) * ${NOISE}::float8 order by o) from unnest(centre.v) with ordinality u(x, o))::vector,
        ${MODEL}, ${DIMS}::int, now()
      from generate_series(${start}::int, ${end}::int) i
      join bench_centres centre on centre.c = i % ${CENTRES}::int`);
  }
  await database.rows(sql`analyze memories`);
}

export async function benchRecall(options: { driver: 'pglite' | 'postgres'; count: number; queries?: number; log?: (line: string) => void }): Promise<RecallFigures> {
  const testDatabase = await createTestDatabase(options.driver);
  const database = await openDatabase({ databaseUrl: testDatabase.databaseUrl, dataDir: testDatabase.dataDir, inMemory: options.driver === 'pglite' });
  try {
    await runMigrations(database);
    const next = random(42);
    const centres = Array.from({ length: CENTRES }, () => Array.from({ length: DIMS }, () => next() * 2 - 1));
    const loadStarted = performance.now();
    await loadBenchMemories(database, options.count, centres);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    options.log?.(`  loaded ${options.count} memories in ${loadSeconds.toFixed(1)} s; building the HNSW index…`);

    const space = { model: MODEL, dims: DIMS };
    const buildStarted = performance.now();
    await ensureVectorIndex(database, space);
    const indexBuildSeconds = (performance.now() - buildStarted) / 1000;
    // The steady state: autovacuum (PostgreSQL) or Hearth's background job (PGlite) has merged the
    // full-text index's pending list, which a bulk load leaves full.
    await database.rows(sql`select gin_clean_pending_list('memories_text_idx'::regclass)`);
    await database.rows(sql`analyze memories`);

    const viewer = { personId: 'bench-0', role: 'member' as const, roomKey: 'bench:room-0', direct: true };
    const queries = Array.from({ length: options.queries ?? 200 }, (_, q) => ({
      values: centres[q % CENTRES]!.map((x) => x + (next() - 0.5) * NOISE),
      text: `what about w${Math.floor(next() * VOCABULARY)} and w${Math.floor(next() * VOCABULARY)} w${Math.floor(next() * VOCABULARY)}`,
    }));

    // Ground truth: the exact 10 nearest visible memories (index disabled, a full scan).
    const exact: number[][] = [];
    for (const query of queries) exact.push(await nearestMemoryIds(database, { viewer, vector: { space, values: query.values }, limit: 10, exact: true }));

    const vector: RecallFigures['vector'] = [];
    for (const efSearch of EF_SEARCH_VALUES) {
      const times: number[] = [];
      let found = 0;
      for (const [i, query] of queries.entries()) {
        const started = performance.now();
        const ids = await nearestMemoryIds(database, { viewer, vector: { space, values: query.values }, limit: 10, efSearch });
        times.push(performance.now() - started);
        found += ids.filter((id) => exact[i]!.includes(id)).length;
      }
      vector.push({ efSearch, p50: percentile(times, 50), p99: percentile(times, 99), recallAt10: Math.round((found / (queries.length * 10)) * 1000) / 1000 });
    }

    const hybrid: number[] = [];
    for (const query of queries.slice(0, 20)) await searchMemories(database, { viewer, vector: { space, values: query.values }, text: query.text, limit: 8, efSearch: CONFIGURED_EF_SEARCH }); // warm-up
    for (const query of queries) {
      const started = performance.now();
      await searchMemories(database, { viewer, vector: { space, values: query.values }, text: query.text, limit: 8, efSearch: CONFIGURED_EF_SEARCH });
      hybrid.push(performance.now() - started);
    }
    return {
      driver: options.driver,
      memories: options.count,
      dims: DIMS,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      indexBuildSeconds: Math.round(indexBuildSeconds * 10) / 10,
      hnsw: HNSW,
      hybridMs: { efSearch: CONFIGURED_EF_SEARCH, p50: percentile(hybrid, 50), p99: percentile(hybrid, 99) },
      vector,
    };
  } finally {
    await database.close();
    await testDatabase.drop();
  }
}

/** Called from bench/run.ts: runs the recall sizes, prints them, adds figures and goals to the results. */
export async function runRecallBench(options: { quick: boolean; say: (line: string) => void; results: { goals: Record<string, string> } }): Promise<void> {
  const runs: Array<{ driver: 'pglite' | 'postgres'; count: number }> = [
    { driver: 'pglite', count: 10_000 },
    { driver: 'postgres', count: 10_000 },
    ...(options.quick ? [] : [{ driver: 'postgres' as const, count: 100_000 }]),
  ];
  const figures: Array<RecallFigures | { driver: string; memories: number; error: string }> = [];
  options.say(`\nrecall    ${DIMS}-dim memories, HNSW m=${HNSW.m} ef_construction=${HNSW.efConstruction}, hybrid search at ef_search=${CONFIGURED_EF_SEARCH}${options.quick ? ' (--quick: 100k skipped)' : ''}`);
  for (const run of runs) {
    try {
      const result = await benchRecall({ ...run, log: options.say });
      figures.push(result);
      options.say(
        `${run.driver.padEnd(9)} ${String(run.count).padStart(6)} memories · index build ${result.indexBuildSeconds} s · recall p50 ${result.hybridMs.p50} ms p99 ${result.hybridMs.p99} ms · ` +
          result.vector.map((v) => `ef ${v.efSearch}: recall@10 ${v.recallAt10} (p99 ${v.p99} ms)`).join(', '),
      );
    } catch (error) {
      figures.push({ driver: run.driver, memories: run.count, error: (error as Error).message });
      options.say(`${run.driver.padEnd(9)} ${run.count} memories not measured: ${(error as Error).message}`);
    }
  }
  (options.results as Record<string, unknown>).recall = figures;
  const target = figures.find((f): f is RecallFigures => 'hybridMs' in f && f.driver === 'postgres' && f.memories === 100_000);
  const atConfigured = target?.vector.find((v) => v.efSearch === CONFIGURED_EF_SEARCH);
  options.results.goals['recall p99 < 20 ms @100k'] = target ? `${target.hybridMs.p99} ms ${target.hybridMs.p99 < 20 ? 'met' : 'missed'}` : 'not measured';
  options.results.goals['recall@10 >= 0.95 @100k'] = atConfigured ? `${atConfigured.recallAt10} ${atConfigured.recallAt10 >= 0.95 ? 'met' : 'missed'}` : 'not measured';
}
