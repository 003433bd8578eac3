/**
 * Recall: the memories worth showing the model for one incoming message. Two rankings over the
 * memories this sender may see in this conversation — vector similarity (HNSW, current model
 * only) and PostgreSQL full-text search ('simple' configuration, ts_rank) for the names, numbers
 * and rare words embeddings miss — fused with reciprocal rank fusion (Cormack et al. 2009,
 * score = Σ 1 / (60 + rank)) in one SQL statement.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { EmbeddingUnavailableError, type Embedder } from './embedder.ts';
import type { MemoryScope } from './schema.ts';
import { visibleTo, type Viewer } from './privacy.ts';
import { cosineDistance, inSpace, pgvectorAtLeast, precisionFor, type EmbeddingSpace, type IndexPrecision } from './vector-index.ts';

export interface RecalledMemory {
  id: number;
  text: string;
  scope: MemoryScope;
  personId: string | null;
  roomKey: string | null;
  score: number;
}

export interface SearchOptions {
  viewer: Viewer;
  /** The query embedding; without it only full-text search runs (embedding service down). */
  vector?: { space: EmbeddingSpace; values: number[] };
  text?: string;
  limit: number;
  /** Candidates taken from each ranking before fusion. */
  candidates?: number;
  /** hnsw.ef_search: larger finds more true neighbours and costs more time. */
  efSearch?: number;
}

/** The RRF constant from the original paper; it damps the weight of the very first ranks. */
const RRF_K = 60;
/** hnsw.ef_search; see HNSW in vector-index.ts for how it was chosen. */
export const DEFAULT_EF_SEARCH = 120;

/** Words that carry no meaning for matching; the 'simple' configuration has no stop list. */
const STOP_WORDS = new Set(
  'the and for are but not you your yours all any can had has have her hers him his how its our out was were who whom why what when where which this that these those with from into about than then them they their there here would could should will shall does did doing done been being just also very some such only own same too more most other over under again once off onto upon please tell know remember recall said says like want need make made get got let lets'.split(' '),
);

/**
 * An OR query over the message's meaningful words: the message is a question, not a phrase to
 * match exactly, so any rare word in common is a signal. Only letters and digits reach
 * to_tsquery, so nothing in a message can change the query's syntax.
 */
export function fullTextQuery(text: string): string | undefined {
  const words = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if ((word.length >= 3 || /\d/.test(word)) && !STOP_WORDS.has(word)) words.add(word);
    if (words.size >= 24) break;
  }
  return words.size ? [...words].join(' | ') : undefined;
}

const sessionSettings = new WeakMap<Database, string>();

function rowsOf<R>(result: unknown): R[] {
  const value = result as { rows?: R[] } | R[];
  return Array.isArray(value) ? value : (value.rows ?? []);
}

/**
 * Runs queries with the HNSW search settings. On PostgreSQL: as the pool's connections start
 * (searchSessionSettings) when they match, otherwise in one transaction with SET LOCAL. PGlite has a single session that only
 * Hearth uses, so the settings are set once for the session and searches skip three round trips
 * (this runs before every turn). `exact` (benchmark ground truth) always uses a transaction.
 */
export async function withSearchSettings<T>(database: Database, settings: { efSearch?: number; exact?: boolean }, run: (query: <R>(statement: SQL) => Promise<R[]>) => Promise<T>): Promise<T> {
  const efSearch = String(settings.efSearch ?? DEFAULT_EF_SEARCH);
  // relaxed_order: when the visibility filter rejects most of the nearest rows, pgvector keeps
  // scanning the graph instead of returning fewer than LIMIT rows (pgvector 0.8 iterative scans).
  const configure = (local: boolean) =>
    sql`select set_config('hnsw.ef_search', ${efSearch}, ${local})${iterative ? sql`, set_config('hnsw.iterative_scan', 'relaxed_order', ${local})` : sql``}`;
  const iterative = await pgvectorAtLeast(database, 0, 8);
  // PostgreSQL connections opened with these settings already (searchSessionSettings) need no transaction.
  if (!settings.exact && database.sessionSettings?.['hnsw.ef_search'] === efSearch) return run((statement) => database.rows(statement));
  if (database.driver === 'pglite' && !settings.exact) {
    if (sessionSettings.get(database) !== efSearch) {
      await database.rows(configure(false));
      sessionSettings.set(database, efSearch);
    }
    return run((statement) => database.rows(statement));
  }
  return database.db.transaction(async (tx) => {
    await tx.execute(configure(true));
    if (settings.exact) await tx.execute(sql`select set_config('enable_indexscan', 'off', true)`);
    return run(async <R,>(statement: SQL) => rowsOf<R>(await tx.execute(statement)));
  });
}

/**
 * The HNSW settings for a PostgreSQL pool to start every connection with, so recall (before
 * every turn) sends one statement instead of a transaction of four. A setting the installed
 * pgvector does not know (iterative scans before 0.8) is dropped by the server when it loads.
 */
export function searchSessionSettings(efSearch = DEFAULT_EF_SEARCH): Record<string, string> {
  return { 'hnsw.ef_search': String(efSearch), 'hnsw.iterative_scan': 'relaxed_order' };
}

/** The ids of the `limit` nearest visible memories; `exact` disables the index (the bench's ground truth). */
export async function nearestMemoryIds(database: Database, options: { viewer: Viewer; vector: { space: EmbeddingSpace; values: number[] }; limit: number; efSearch?: number; exact?: boolean }): Promise<number[]> {
  const distance = cosineDistance(options.vector.space, options.vector.values, { precision: precisionFor(database), exact: options.exact });
  return withSearchSettings(database, options, async (query) => {
    const rows = await query<{ id: number | string }>(
      sql`select memories.id from memories where ${inSpace(options.vector.space)} and ${visibleTo(options.viewer)} order by ${distance} limit ${options.limit}`,
    );
    return rows.map((r) => Number(r.id));
  });
}

/** The hybrid search statement: vector and full-text rankings fused by reciprocal rank. */
export function hybridStatement(options: SearchOptions & { precision: IndexPrecision }): SQL | undefined {
  const candidates = options.candidates ?? Math.max(20, options.limit * 3);
  const visible = visibleTo(options.viewer);
  const tsQuery = options.text ? fullTextQuery(options.text) : undefined;
  if (!options.vector && !tsQuery) return undefined;
  if (!options.vector) {
    // Full-text only (no embedding this turn): one ranking, no fusion, a much simpler plan.
    return sql`
      select memories.id, memories.text, memories.scope, memories.person_id, memories.room_key, ts_rank(to_tsvector('simple', memories.text), query) as score
      from memories, to_tsquery('simple', ${tsQuery}) query
      where to_tsvector('simple', memories.text) @@ query and ${visible}
      order by score desc, memories.id desc
      limit ${options.limit}`;
  }
  const empty = sql`select null::bigint as id, null::bigint as rank where false`;
  const vectorRanking = sql`select id, row_number() over (order by distance, id) as rank from (
        select memories.id, ${cosineDistance(options.vector.space, options.vector.values, { precision: options.precision })} as distance
        from memories where ${inSpace(options.vector.space)} and ${visible}
        order by distance limit ${candidates}) nearest`;
  const textRanking = tsQuery
    ? sql`select id, row_number() over (order by score desc, id desc) as rank from (
        select memories.id, ts_rank(to_tsvector('simple', memories.text), query) as score
        from memories, to_tsquery('simple', ${tsQuery}) query
        where to_tsvector('simple', memories.text) @@ query and ${visible}
        order by score desc limit ${candidates}) matched`
    : empty;
  return sql`
    with by_vector as (${vectorRanking}), by_text as (${textRanking}),
    fused as (
      select id, sum(1.0 / (${sql.raw(String(RRF_K))} + rank)) as score
      from (select id, rank from by_vector union all select id, rank from by_text) ranks
      group by id)
    select memories.id, memories.text, memories.scope, memories.person_id, memories.room_key, fused.score
    from fused join memories on memories.id = fused.id
    where ${visible}
    order by fused.score desc, memories.id desc
    limit ${options.limit}`;
}

/** Hybrid search: the memories to recall, best first. */
export async function searchMemories(database: Database, options: SearchOptions): Promise<RecalledMemory[]> {
  const statement = hybridStatement({ ...options, precision: precisionFor(database) });
  if (!statement) return [];
  type Row = { id: number | string; text: string; scope: MemoryScope; person_id: string | null; room_key: string | null; score: number | string };
  // Full-text alone (no embedding this turn) needs no HNSW settings.
  const rows = options.vector ? await withSearchSettings(database, { efSearch: options.efSearch }, (query) => query<Row>(statement)) : await database.rows<Row>(statement);
  return rows.map((r) => ({ id: Number(r.id), text: r.text, scope: r.scope, personId: r.person_id, roomKey: r.room_key, score: Number(r.score) }));
}

/** The system-prompt block for recalled memories, cut to `budgetChars`. */
export function formatRecall(recalled: RecalledMemory[], options: { budgetChars: number; senderName: string; group: boolean }): string | undefined {
  if (recalled.length === 0) return undefined;
  const label = (m: RecalledMemory) => (m.scope === 'person' ? `${options.senderName}, private` : m.scope === 'room' ? 'this chat' : 'household');
  const header = 'What you remember (recalled for this message; use only what is relevant):';
  const lines: string[] = [];
  let used = header.length;
  for (const memory of recalled) {
    const line = `- (${label(memory)}) ${memory.text}`;
    if (used + line.length + 1 > options.budgetChars) {
      if (lines.length === 0 && options.budgetChars - used > 40) lines.push(`${line.slice(0, options.budgetChars - used - 2)}…`);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  if (lines.length === 0) return undefined;
  const privateNote = options.group && recalled.some((m) => m.scope === 'person') ? [`Private memories are ${options.senderName}'s own: do not reveal them to others in this group unless ${options.senderName} asks for them.`] : [];
  return [header, ...lines, ...privateNote].join('\n');
}

export interface RecallOptions {
  database: Database;
  embedder: Embedder;
  log: Logger;
  limit: number;
  budgetChars: number;
  efSearch?: number;
  onEmbedFailure?: () => void;
  onRecall?: (seconds: number) => void;
}

/** Embeds the message and returns the prompt block of what this sender may recall here. */
export async function recallFor(options: RecallOptions, input: { viewer: Viewer; text: string; senderName: string; group: boolean; log?: Logger }): Promise<string | undefined> {
  const started = performance.now();
  const log = input.log ?? options.log;
  let vector: SearchOptions['vector'];
  try {
    const [values] = await options.embedder.embed([input.text]);
    vector = { space: { model: options.embedder.model, dims: values!.length }, values: values! };
  } catch (error) {
    if (!(error instanceof EmbeddingUnavailableError)) throw error;
    options.onEmbedFailure?.();
    log.warn({ err: error }, 'recall without embeddings: the embedding service did not answer, so only full-text matches are recalled for this turn');
  }
  const recalled = await searchMemories(options.database, { viewer: input.viewer, vector, text: input.text, limit: options.limit, efSearch: options.efSearch });
  options.onRecall?.((performance.now() - started) / 1000);
  if (recalled.length) log.debug({ memories: recalled.map((m) => m.id), vector: Boolean(vector) }, 'memories recalled');
  return formatRecall(recalled, { budgetChars: options.budgetChars, senderName: input.senderName, group: input.group });
}
