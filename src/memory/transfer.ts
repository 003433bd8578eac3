/**
 * Export and import of memories as JSONL, one memory per line, so a household can take its
 * memory elsewhere, back it up, or restore it. Embeddings travel along with the model that made
 * them; an import re-embeds whatever was made by a different model than the one configured.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { normalizeModelName } from './embedder.ts';
import { MemoryRejectedError, type Memory, type MemoryStore } from './store.ts';

export const EXPORT_FORMAT = 'hearth.memory/1';

export interface ExportedMemory {
  format: typeof EXPORT_FORMAT;
  id: number;
  text: string;
  scope: Memory['scope'];
  personId: string | null;
  roomKey: string | null;
  createdBy: string | null;
  sourceJournalId: number | null;
  createdAt: string;
  updatedAt: string;
  embeddingModel: string | null;
  embedding: number[] | null;
}

export function exportLine(memory: Memory & { embedding: number[] | null }): string {
  const line: ExportedMemory = {
    format: EXPORT_FORMAT,
    id: memory.id,
    text: memory.text,
    scope: memory.scope,
    personId: memory.personId,
    roomKey: memory.roomKey,
    createdBy: memory.createdBy,
    sourceJournalId: memory.sourceJournalId,
    createdAt: memory.createdAt.toISOString(),
    updatedAt: memory.updatedAt.toISOString(),
    embeddingModel: memory.embeddingModel,
    embedding: memory.embedding,
  };
  return JSON.stringify(line);
}

const importedLine = z
  .object({
    format: z.literal(EXPORT_FORMAT).optional(),
    text: z.string(),
    scope: z.enum(['person', 'room', 'household']),
    personId: z.string().nullish(),
    roomKey: z.string().nullish(),
    createdBy: z.string().nullish(),
    sourceJournalId: z.number().int().nullish(),
    createdAt: z.iso.datetime({ offset: true }).nullish(),
    embeddingModel: z.string().nullish(),
    embedding: z.array(z.number()).nullish(),
  })
  .refine((m) => m.scope !== 'person' || Boolean(m.personId), { message: 'a person memory needs personId' })
  .refine((m) => m.scope !== 'room' || Boolean(m.roomKey), { message: 'a room memory needs roomKey' });

export interface ImportResult {
  imported: number;
  duplicates: number;
  skipped: Array<{ line: number; reason: string }>;
}

/** Imports JSONL lines; bad lines are skipped with their line number and reason, never fatal. */
export async function importMemories(store: MemoryStore, lines: AsyncIterable<string> | Iterable<string>): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, duplicates: 0, skipped: [] };
  const people = new Set((await store.database.rows<{ id: string }>(sql`select id from people`)).map((r) => r.id));
  let number = 0;
  for await (const raw of lines) {
    number++;
    if (!raw.trim()) continue;
    let parsed: z.infer<typeof importedLine>;
    try {
      parsed = importedLine.parse(JSON.parse(raw));
    } catch (error) {
      const reason = error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ') : 'not valid JSON';
      result.skipped.push({ line: number, reason });
      continue;
    }
    if (parsed.scope === 'person' && !people.has(parsed.personId!)) {
      result.skipped.push({ line: number, reason: `person ${parsed.personId} does not exist in this Hearth (add them first, then import again)` });
      continue;
    }
    const sameModel = parsed.embedding?.length && parsed.embeddingModel && normalizeModelName(parsed.embeddingModel) === store.embedder.model;
    try {
      const { duplicate } = await store.add({
        text: parsed.text,
        scope: parsed.scope,
        personId: parsed.personId,
        roomKey: parsed.roomKey,
        createdBy: parsed.createdBy && people.has(parsed.createdBy) ? parsed.createdBy : null,
        sourceJournalId: parsed.sourceJournalId,
        createdAt: parsed.createdAt ? new Date(parsed.createdAt) : undefined,
        embedding: sameModel ? { vector: parsed.embedding!, model: store.embedder.model } : undefined,
        embedNow: false,
      });
      if (duplicate) result.duplicates++;
      else result.imported++;
    } catch (error) {
      if (!(error instanceof MemoryRejectedError)) throw error;
      result.skipped.push({ line: number, reason: error.message });
    }
  }
  return result;
}
