/**
 * The manifest at the front of every backup: what made it (Hearth version, database driver,
 * schema as a list of applied migrations, embedding model), when, what it holds (rows per table)
 * and a SHA-256 checksum of every other file, so a restore can refuse a damaged or newer backup
 * before it touches anything. `format` changes only if the layout does; restore reads every
 * format it ever wrote, so an old backup stays restorable.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { AppliedMigration } from '../db/migrate.ts';
import { BackupError } from './errors.ts';

export const MANIFEST = 'manifest.json';
export const FORMAT = 'hearth-backup/1';

export interface BackupFile {
  /** Path inside the archive: database/<table>.jsonl, config/<name>, data/<path>. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface EmbeddingSpaceCount {
  model: string;
  dims: number;
  count: number;
}

export interface Manifest {
  format: string;
  createdAt: string;
  hearthVersion: string;
  /** Where the database lived: pglite or postgres (a restore may go to either). */
  driver: string;
  schema: { migrations: AppliedMigration[] };
  embedding: { configuredModel: string; spaces: EmbeddingSpaceCount[] };
  /** Rows per table, as dumped. */
  tables: Record<string, number>;
  /** The configuration file's name inside config/, when there was one. */
  configFile?: string;
  files: BackupFile[];
}

export function hearthVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Embeddings by model and dimension, when the memories table exists. */
export async function embeddingSpaces(database: Database): Promise<EmbeddingSpaceCount[]> {
  const [present] = await database.rows<{ present: boolean }>(sql`select to_regclass('public.memories') is not null as present`);
  if (!present?.present) return [];
  const rows = await database.rows<{ model: string; dims: number; count: number }>(
    sql`select embedding_model as model, embedding_dims as dims, count(*)::int as count from memories where embedding is not null group by 1, 2 order by 3 desc`,
  );
  return rows.map((r) => ({ model: r.model, dims: Number(r.dims), count: Number(r.count) }));
}

export function parseManifest(text: string, file: string): Manifest {
  let manifest: Partial<Manifest>;
  try {
    manifest = JSON.parse(text) as Partial<Manifest>;
  } catch {
    throw new BackupError(`${file} has a damaged manifest`, 'use another backup file; this one cannot be trusted');
  }
  if (typeof manifest.format !== 'string' || !manifest.format.startsWith('hearth-backup/')) {
    throw new BackupError(`${file} is not a Hearth backup (no Hearth manifest inside)`, 'give the file that `hearth backup` wrote');
  }
  if (manifest.format !== FORMAT) {
    throw new BackupError(`${file} was written in backup format ${manifest.format}, which this Hearth (${hearthVersion()}) does not know`, 'restore it with the Hearth version that made it, or a newer one');
  }
  if (!Array.isArray(manifest.files) || !Array.isArray(manifest.schema?.migrations) || typeof manifest.tables !== 'object') {
    throw new BackupError(`${file} has an incomplete manifest`, 'use another backup file; this one cannot be trusted');
  }
  return manifest as Manifest;
}

/** One line for people: "5 people, 120 memories, 2,400 messages, 830 audit records". */
export function describeContents(manifest: Manifest): string {
  const count = (table: string) => manifest.tables[table] ?? 0;
  const parts = [
    [count('people'), count('people') === 1 ? 'person' : 'people'],
    [count('memories'), 'memories'],
    [count('messages'), 'messages'],
    [count('audit_events'), 'audit records'],
  ] as const;
  const files = manifest.files.filter((f) => f.path.startsWith('data/')).length;
  return [...parts.map(([n, what]) => `${n.toLocaleString('en')} ${what}`), ...(files ? [`${files} file(s) from the data folder`] : [])].join(', ');
}

export function schemaName(manifest: Pick<Manifest, 'schema'>): string {
  const newest = manifest.schema.migrations.at(-1);
  return newest ? (newest.tag ?? `unknown migration of ${new Date(newest.when).toISOString()}`) : 'empty';
}
