/**
 * Memory as a gateway feature: recall before each turn, /remember /memories /forget, the
 * remember tool, running summaries for long conversations, optional automatic facts after a
 * turn, and a background job that embeds memories saved while Ollama was down.
 */
import type { FeatureFactory } from '../pipeline/feature.ts';
import { memoryCommands, viewerOf } from './commands.ts';
import { embedderFor } from './embedder.ts';
import { ollamaPoolFor } from '../agent/pool.ts';
import { extractFacts } from './extract.ts';
import { createOneShotChat } from './one-shot.ts';
import { recallFor } from './recall.ts';
import { rememberTool } from './remember-tool.ts';
import { MemoryStore } from './store.ts';
import { createSummarizer } from './summary.ts';
import { defaultHistoryTokens } from './tokens.ts';
import { pgvectorAtLeast, pgvectorVersion } from './vector-index.ts';

export const memoryFeature: FeatureFactory = (deps) => {
  const { config, metrics } = deps;
  const settings = config.memory;
  const log = deps.log.child({ feature: 'memory' });
  const embedder = embedderFor(config);
  const store = new MemoryStore({
    database: deps.database,
    embedder,
    log,
    maxChars: settings.maxChars,
    onEmbedFailure: (operation) => metrics.embeddingFailures.inc({ operation }),
  });
  const chat = createOneShotChat({ host: ollamaPoolFor(config), model: config.ollama.model, contextTokens: config.ollama.contextTokens, keepAlive: config.ollama.keepAlive, timeoutMs: config.ollama.turnTimeoutMs });
  if (settings.summaries) {
    deps.history.useSummaries({
      summarizer: createSummarizer(chat),
      budgetTokens: settings.historyTokens ?? defaultHistoryTokens(config.ollama.contextTokens, settings.recallChars),
      inputTokens: Math.floor(config.ollama.contextTokens / 2),
      onSummary: (outcome) => metrics.summaries.inc({ outcome }),
    });
  }

  // Automatic facts run after the reply; they are tracked so stop() can wait for them.
  const running = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const tracked = work.finally(() => running.delete(tracked));
    running.add(tracked);
    return tracked;
  };
  /** Every retryIntervalMs: embed what is pending, and keep the full-text index compact. */
  const retryPending = async () => {
    try {
      const embedded = await store.embedPending();
      if (embedded) log.info({ embedded }, 'embedded memories that were saved while the embedding service was down');
    } catch (error) {
      log.debug({ err: error }, 'pending memories are still waiting for the embedding service');
    }
    try {
      await store.tidy();
    } catch (error) {
      log.debug({ err: error }, 'could not merge the full-text index pending list');
    }
  };

  return {
    name: 'memory',
    commands: memoryCommands(store, deps.audit),
    tools: [rememberTool(store)],
    async context(turn) {
      if (!turn.person || settings.recallLimit === 0) return undefined;
      try {
        return await recallFor(
          { database: deps.database, embedder, log, limit: settings.recallLimit, budgetChars: settings.recallChars, efSearch: settings.efSearch, onEmbedFailure: () => metrics.embeddingFailures.inc({ operation: 'recall' }), onRecall: (s) => metrics.memoryRecallSeconds.observe(s) },
          { viewer: viewerOf(turn), text: turn.message.text, senderName: turn.message.sender.displayName || turn.person.displayName, group: turn.message.conversation.kind === 'group', log: turn.log },
        );
      } catch (error) {
        // Recall is a help, not a requirement: the turn goes on without it.
        turn.log.warn({ err: error }, 'could not recall memories for this turn; answering without them');
        return undefined;
      }
    },
    afterTurn: settings.autoExtract
      ? async (turn, answer) => {
          if (turn.person?.role === 'guest') return;
          // Not awaited: the reply should not wait for a second model call.
          void track(extractFacts({ store, chat, agentName: config.agent.name, log }, turn, answer).catch((error: unknown) => turn.log.warn({ err: error }, 'automatic memory extraction failed')));
        }
      : undefined,
    async start() {
      if (!(await pgvectorAtLeast(deps.database, 0, 8))) {
        log.error(
          { pgvector: (await pgvectorVersion(deps.database)).join('.') },
          'pgvector is older than 0.8: memory search needs 0.8 or later (half-precision indexes, filtered searches). Fix: upgrade the extension on the PostgreSQL server (e.g. the pgvector/pgvector:pg17 image, or apt install postgresql-17-pgvector), then run ALTER EXTENSION vector UPDATE',
        );
      }
      const { spaces, pending } = await store.spaces();
      const stale = spaces.filter((s) => s.model !== embedder.model);
      if (stale.length) {
        log.warn(
          { current: embedder.model, stale: stale.map((s) => ({ model: s.model, dims: s.dims, memories: s.count })) },
          `the embedding model changed: ${stale.reduce((n, s) => n + s.count, 0)} memories were embedded with another model and are recalled by full-text only until you run \`hearth memory reindex\``,
        );
      }
      if (pending) log.info({ pending }, 'some memories are waiting to be embedded; retrying in the background');
      deps.every('memory-embed-pending', settings.retryIntervalMs, retryPending);
    },
    async stop() {
      await Promise.allSettled([...running]);
    },
  };
};
