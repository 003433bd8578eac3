/**
 * Memory tables: long-term memories (text + embedding, scoped to a person, a room or the
 * household) and the running summaries that stand in for old turns of long conversations.
 *
 * Why `embedding` is an unconstrained `vector` column (no fixed dimension): embedding models
 * differ in size (nomic-embed-text 768, mxbai-embed-large 1024, all-minilm 384). Each row records
 * the model and dimension that produced its embedding, and code creates one partial expression
 * HNSW index per (model, dims) — `((embedding::halfvec(768)) halfvec_cosine_ops) WHERE
 * embedding_model = '…' AND embedding_dims = 768` (see vector-index.ts). A new model therefore
 * starts with an empty index that grows with every write, old and new embeddings coexist while
 * `hearth memory reindex` runs, and a query filtered on the current model can never compare
 * vectors of different sizes (no dimension errors, no mixing). A fixed vector(768) column would
 * have made a model change a schema migration that drops every embedding at once.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, customType, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { people } from '../db/schema.ts';

/** pgvector's `vector` without a dimension; values travel as the text form '[1,2,3]'. */
const anyVector = customType<{ data: number[]; driverData: string }>({
  dataType: () => 'vector',
  toDriver: (value) => `[${value.join(',')}]`,
  fromDriver: (value) => (typeof value === 'string' ? (JSON.parse(value) as number[]) : (value as number[])),
});

export type MemoryScope = 'person' | 'room' | 'household';

export const memories = pgTable(
  'memories',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    text: text('text').notNull(),
    /** person: private to person_id · room: one conversation (room_key) · household: every member */
    scope: text('scope').$type<MemoryScope>().notNull(),
    /** Set only for person scope; deleting the person deletes their private memories. */
    personId: text('person_id').references(() => people.id, { onDelete: 'cascade' }),
    /** Set only for room scope: the conversation key (platform:conversation[:thread]). */
    roomKey: text('room_key'),
    createdBy: text('created_by').references(() => people.id, { onDelete: 'set null' }),
    /** The inbound journal entry that led to this memory (provenance; no foreign key so pruning the journal keeps memories). */
    sourceJournalId: bigint('source_journal_id', { mode: 'number' }),
    /** Null while the embedding is pending (Ollama was down); a background job fills it in. */
    embedding: anyVector('embedding'),
    embeddingModel: text('embedding_model'),
    embeddingDims: integer('embedding_dims'),
    embeddedAt: timestamp('embedded_at', { withTimezone: true, mode: 'date' }),
    embedAttempts: integer('embed_attempts').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // The privacy boundary is also a database invariant: a person memory always names its owner
    // and never a room; a room memory never names a person; a household memory names neither.
    check(
      'memories_scope_owner',
      sql`(${t.scope} = 'person' and ${t.personId} is not null and ${t.roomKey} is null) or (${t.scope} = 'room' and ${t.roomKey} is not null and ${t.personId} is null) or (${t.scope} = 'household' and ${t.personId} is null and ${t.roomKey} is null)`,
    ),
    check('memories_embedding_labelled', sql`${t.embedding} is null or (${t.embeddingModel} is not null and ${t.embeddingDims} = vector_dims(${t.embedding}))`),
    index('memories_person_idx').on(t.personId, t.id),
    index('memories_room_idx').on(t.roomKey, t.id),
    index('memories_pending_idx').on(t.id).where(sql`${t.embedding} is null`),
    index('memories_model_idx').on(t.embeddingModel, t.embeddingDims),
    // Full-text side of hybrid recall: names, numbers and rare words that embeddings miss.
    // 'simple' (no stemming, no stop words) because a household may write in any language.
    index('memories_text_idx').using('gin', sql`to_tsvector('simple', ${t.text})`),
  ],
);

/**
 * Running summaries of long conversations. Each row covers every message of the conversation up
 * to through_message_id; the newest row is used in place of those turns and is extended (not
 * recomputed) when more turns fall out of the budget. The raw messages are never deleted.
 */
export const conversationSummaries = pgTable(
  'conversation_summaries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationKey: text('conversation_key').notNull(),
    throughMessageId: bigint('through_message_id', { mode: 'number' }).notNull(),
    content: text('content').notNull(),
    /** How many messages this summary stands for, in total. */
    messagesCovered: integer('messages_covered').notNull(),
    model: text('model').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('conversation_summaries_key').on(t.conversationKey, t.throughMessageId)],
);
