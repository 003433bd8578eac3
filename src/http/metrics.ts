/** Prometheus metrics (prom-client), one registry per gateway so tests and benches stay isolated. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  messagesIn: Counter<'platform' | 'outcome'>;
  messagesOut: Counter<'platform' | 'kind'>;
  replies: Counter<'platform'>;
  errors: Counter<'kind'>;
  agentLatency: Histogram<'platform'>;
  toolCalls: Counter<'tool' | 'decision'>;
  embeddingFailures: Counter<'operation'>;
  memoryRecallSeconds: Histogram;
  summaries: Counter<'outcome'>;
  poisonEvents: Counter<'platform'>;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'hearth_' });
  const registers = [registry];
  return {
    registry,
    messagesIn: new Counter({ name: 'hearth_messages_in_total', help: 'Inbound messages by platform and outcome', labelNames: ['platform', 'outcome'], registers }),
    messagesOut: new Counter({ name: 'hearth_messages_out_total', help: 'Messages delivered to platforms', labelNames: ['platform', 'kind'], registers }),
    replies: new Counter({ name: 'hearth_replies_total', help: 'Answers produced by the agent', labelNames: ['platform'], registers }),
    errors: new Counter({ name: 'hearth_errors_total', help: 'Errors by kind (model-unreachable, delivery-retry, …)', labelNames: ['kind'], registers }),
    agentLatency: new Histogram({
      name: 'hearth_agent_latency_seconds',
      help: 'Time from receiving a message to its answer being composed',
      labelNames: ['platform'],
      buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320],
      registers,
    }),
    toolCalls: new Counter({ name: 'hearth_tool_calls_total', help: 'Tool calls by tool and decision', labelNames: ['tool', 'decision'], registers }),
    embeddingFailures: new Counter({ name: 'hearth_embedding_failures_total', help: 'Embedding calls that failed, by operation (recall, write, retry, reindex)', labelNames: ['operation'], registers }),
    memoryRecallSeconds: new Histogram({ name: 'hearth_memory_recall_seconds', help: 'Time to embed a message and recall memories for it', buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15], registers }),
    poisonEvents: new Counter({ name: 'hearth_poison_events_total', help: 'Platform events set aside because they could not be read or journaled (see hearth doctor)', labelNames: ['platform'], registers }),
    summaries: new Counter({ name: 'hearth_conversation_summaries_total', help: 'Conversation summaries made (ok) or attempted (failed)', labelNames: ['outcome'], registers }),
  };
}

/** 1 for each platform connection (telegram:polling, discord, matrix) this process holds now. */
export function connectionGauge(registry: Registry, held: () => string[]): void {
  new Gauge({
    name: 'hearth_connection_held',
    help: 'Platform connections this Hearth process holds (1); with several processes on one database, each is held by one',
    labelNames: ['connection'],
    registers: [registry],
    collect() {
      this.reset();
      for (const connection of held()) this.set({ connection }, 1);
    },
  });
}
