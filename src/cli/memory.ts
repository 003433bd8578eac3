/**
 * `hearth memory …`: the owner's tools for the household's memory, run on the machine Hearth
 * lives on. export (JSONL on stdout), import (JSONL file), reindex (after changing
 * OLLAMA_EMBED_MODEL), forget (hard delete, audited) and list. Progress and summaries go to
 * stderr, so `hearth memory export > memories.jsonl` leaves a clean file.
 */
import { ollamaPoolFor } from '../agent/pool.ts';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../db/client.ts';
import { migrateSafely, plainLog } from '../backup/before-migration.ts';
import { AuditLog } from '../audit/audit.ts';
import { createLogger } from '../log.ts';
import { createEmbedder, EmbeddingUnavailableError } from '../memory/embedder.ts';
import { MemoryStore } from '../memory/store.ts';
import { exportLine, importMemories } from '../memory/transfer.ts';
import { forgetMemory } from '../memory/governance.ts';
import { bootConfig, reportFatal } from './boot.ts';

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Progress on one rewritten line in a terminal, one line per step when piped (logs, CI). */
function progress(label: string): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    if (done === last) return;
    last = done;
    const text = `${label}: ${done}/${total}${total ? ` (${Math.round((done / Math.max(total, 1)) * 100)}%)` : ''}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${text}${done >= total ? '\n' : ''}`);
    else say(text);
  };
}

async function withStore<T>(command: Command, run: (store: MemoryStore, database: Database) => Promise<T>): Promise<T> {
  const config = bootConfig(command.optsWithGlobals<{ config?: string }>().config);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }).catch(reportFatal);
  try {
    await migrateSafely(database, config, plainLog());
    const log = createLogger({ level: process.env.HEARTH_LOG_LEVEL ?? 'warn', stream: process.stderr });
    const embedder = createEmbedder({ host: ollamaPoolFor(config), model: config.ollama.embedModel, keepAlive: config.ollama.keepAlive, timeoutMs: config.ollama.embedTimeoutMs, coolDownMs: 0 });
    return await run(new MemoryStore({ database, embedder, log, maxChars: config.memory.maxChars }), database);
  } catch (error) {
    await database.close();
    reportFatal(error);
  } finally {
    await database.close().catch(() => {});
  }
}

async function embedPendingWithProgress(store: MemoryStore): Promise<void> {
  try {
    const embedded = await store.embedPending({ batchSize: 64, onProgress: progress(`embedding with ${store.embedder.model}`) });
    if (embedded) say(`embedded ${embedded} memories with ${store.embedder.model}`);
  } catch (error) {
    if (!(error instanceof EmbeddingUnavailableError)) throw error;
    say(`could not embed now (${error.message}). The memories are stored; Hearth embeds them in the background once Ollama answers, or run \`hearth memory reindex\` later.`);
  }
}

export function registerMemoryCommands(program: Command): void {
  const memory = program.command('memory').description("inspect, export, import, re-embed and delete the household's long-term memories");

  memory
    .command('export')
    .description('write memories as JSONL to stdout (all, or one person\'s private memories)')
    .option('--person <id>', "only this person's private memories")
    .action(async (options: { person?: string }, command: Command) => {
      await withStore(command, async (store) => {
        let count = 0;
        for await (const row of store.exportAll({ personId: options.person })) {
          process.stdout.write(`${exportLine(row)}\n`);
          count++;
        }
        say(`exported ${count} memories`);
      });
    });

  memory
    .command('import <file>')
    .description('add memories from a JSONL export (duplicates are skipped; re-embeds when the model differs)')
    .action(async (file: string, _options: unknown, command: Command) => {
      await withStore(command, async (store) => {
        // Take readline's iterator at once: lines read before iteration starts would otherwise be dropped.
        const iterator = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })[Symbol.asyncIterator]();
        const result = await importMemories(store, { [Symbol.asyncIterator]: () => iterator });
        say(`imported ${result.imported} memories${result.duplicates ? `, ${result.duplicates} already present` : ''}${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}`);
        for (const skip of result.skipped.slice(0, 20)) say(`  line ${skip.line}: ${skip.reason}`);
        await embedPendingWithProgress(store);
        await store.tidy();
        if (result.skipped.length) process.exitCode = 1;
      });
    });

  memory
    .command('reindex')
    .description('re-embed memories made with another embedding model (or pending), in batches')
    .option('--all', 're-embed every memory, even those already embedded with the current model')
    .option('--batch-size <n>', 'memories per embedding request', '64')
    .action(async (options: { all?: boolean; batchSize: string }, command: Command) => {
      await withStore(command, async (store) => {
        const { spaces, pending } = await store.spaces();
        const stale = spaces.filter((s) => s.model !== store.embedder.model);
        for (const s of stale) say(`the embedding model changed: ${s.count} memories were embedded with ${s.model} (${s.dims} dimensions); now using ${store.embedder.model}`);
        if (pending) say(`${pending} memories have no embedding yet`);
        if (!options.all && !stale.length && !pending) {
          say(`all memories are embedded with ${store.embedder.model}; nothing to do (use --all to re-embed anyway)`);
          return;
        }
        try {
          const result = await store.reindex({ all: options.all, batchSize: Math.max(1, Number(options.batchSize) || 64), onProgress: progress(`re-embedding with ${store.embedder.model}`) });
          await store.tidy();
          say(`re-embedded ${result.reembedded} memories with ${store.embedder.model}${result.droppedIndexes.length ? `; removed ${result.droppedIndexes.length} index(es) of the old model` : ''}`);
        } catch (error) {
          if (!(error instanceof EmbeddingUnavailableError)) throw error;
          say(`stopped: ${error.message}. What was done is kept; run \`hearth memory reindex\` again when Ollama answers.`);
          process.exitCode = 1;
        }
      });
    });

  memory
    .command('forget <id>')
    .description('delete one memory for good (row and embedding), audited')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withStore(command, async (store, database) => {
        const [owner] = await database.rows<{ id: string }>(sql`select id from people where role = 'owner' order by created_at limit 1`);
        const removed = /^\d+$/.test(id) ? await forgetMemory(store, new AuditLog(database.db), Number(id), { actorPersonId: owner?.id ?? null, platform: 'cli', via: 'cli' }) : undefined;
        if (!removed) {
          say(`no memory #${id}`);
          process.exitCode = 1;
          return;
        }
        say(`forgot memory #${removed.id}`);
      });
    });

  memory
    .command('list')
    .description('show memories (id, scope, owner, text)')
    .option('--person <id>', "only this person's private memories")
    .action(async (options: { person?: string }, command: Command) => {
      await withStore(command, async (store) => {
        for await (const row of store.exportAll({ personId: options.person })) {
          const owner = row.scope === 'person' ? `person ${row.personId}` : row.scope === 'room' ? `room ${row.roomKey}` : 'household';
          process.stdout.write(`#${row.id}\t${owner}\t${row.embeddingModel ?? 'pending'}\t${row.text}\n`);
        }
      });
    });
}
