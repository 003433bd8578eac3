/**
 * Pipeline overhead with an instant model: how much time Hearth itself adds between a message
 * arriving and the model being asked, and between the model answering and the reply being sent
 * (one message at a time, so queueing does not hide in the figures); then the time a burst of
 * messages from twenty people, each in their own chat, takes to be answered.
 */
import { PassThrough } from 'node:stream';
import { NoopLogger } from 'drizzle-orm/logger';
import type { ChatModel } from '../src/agent/model.ts';
import { loadConfig } from '../src/config/load.ts';
import { createHearth } from '../src/hearth.ts';
import { createLogger } from '../src/log.ts';
import { createTestAdapter } from '../test/helpers/test-adapter.ts';
import { percentile } from './stats.ts';
import { personText } from '../test/fakes/ollama.ts';
import { startOllamaThread } from './ollama-thread.ts';

export interface PipelineFigures {
  driver: string;
  /** The burst: this many messages from `people` people, sent at once. */
  messages: number;
  people: number;
  burstSeconds: number;
  messagesPerSecond: number;
  /** The first message after the start, which loads the answering code. */
  firstMessageMs: { inboundToModel: number; modelToSend: number };
  /** One message at a time, after the first WARM_UP ones. */
  inboundToModelMs: { p50: number; p99: number };
  modelToSendMs: { p50: number; p99: number };
  promptChars: { system: number; tools: number; total: number };
  /** Median database statements per one-at-a-time turn, before the model is asked and after it answered. */
  statementsPerTurn: { beforeModel: number; afterModel: number };
  /** One turn's statements in order, with milliseconds since the message arrived (bench --statements). */
  sampleTurn: string[];
}

/**
 * Every statement drizzle sends, with when it was sent: drizzle hands each query to its logger,
 * whose default does nothing, so that default is replaced for the benchmark's lifetime.
 */
function recordStatements(): { statements: Array<{ at: number; sql: string }>; stop(): void } {
  const statements: Array<{ at: number; sql: string }> = [];
  const original = NoopLogger.prototype.logQuery;
  const logger = NoopLogger.prototype as { logQuery(query: string): void };
  logger.logQuery = (query) => void statements.push({ at: performance.now(), sql: query.replace(/\s+/g, ' ').trim() });
  return { statements, stop: () => void (logger.logQuery = original) };
}

/** Messages sent before the timed ones: V8 has compiled the hot paths by then. */
const WARM_UP = 20;
const round = (ms: number) => Math.round(ms * 100) / 100;

export async function benchPipeline(options: { driver: 'pglite' | 'postgres'; databaseUrl?: string; dataDir: string; messages: number; people?: number }): Promise<PipelineFigures> {
  const people = options.people ?? 20;
  const senders = Array.from({ length: people }, (_, i) => ({ accountId: `person-${i}`, displayName: `Person ${i}` }));
  const marks = new Map<string, { received?: number; modelCalled?: number; modelReturned?: number; sent?: number }>();
  const mark = (text: string) => marks.get(text) ?? marks.set(text, {}).get(text)!;
  let prompt = { system: 0, tools: 0 };
  const instant: ChatModel = {
    name: 'instant',
    async chat(request) {
      // The newest message carries Hearth's per-turn note before the person's words.
      const text = personText(String(request.messages.at(-1)?.content ?? ''));
      mark(text).modelCalled = performance.now();
      prompt = { system: String(request.messages[0]?.content ?? '').length, tools: JSON.stringify(request.tools).length };
      mark(text).modelReturned = performance.now();
      return { content: `ok ${text}`, toolCalls: [], promptTokens: 0, outputTokens: 0 };
    },
  };
  const adapter = createTestAdapter('bench', { canEdit: false, hasTyping: false });
  let onSent: () => void = () => {};
  const send = adapter.send.bind(adapter);
  adapter.send = async (message) => {
    mark(message.text.replace(/^ok /, '')).sent = performance.now();
    const result = await send(message);
    onSent();
    return result;
  };
  // Chat answers come from the instant model above; embeddings for memory recall from the local
  // Ollama stand-in (on a thread of its own, as Ollama is another process), so recall runs as it
  // does in production.
  const ollama = await startOllamaThread();
  const config = loadConfig({
    file: false,
    env: {},
    overrides: {
      owner: 'bench:owner',
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      ollama: { host: ollama.url },
      agent: { streaming: false, concurrency: 2 },
      limits: { messagesPerMinute: 1_000_000, tokensPerDay: 0 },
    },
  });
  const hearth = await createHearth({ config, log: createLogger({ level: 'silent', stream: new PassThrough() }), adapters: [adapter], model: instant });
  // Twenty people of their own (owner accounts would all be the one owner).
  for (const sender of senders) await hearth.gateway.people.create({ displayName: sender.displayName, role: 'member', account: { platform: 'bench', ...sender } });
  await hearth.start();
  const recorder = recordStatements();
  // Latency: one message at a time, from ten people each in their own chat. The first messages
  // after a start also load code and warm V8's compilers up; they are reported on their own
  // (`firstMessageMs`), and the percentiles describe a running Hearth.
  const latencyTexts: string[] = [];
  for (let i = 0; i < WARM_UP + 200; i++) {
    const text = `latency-${i}`;
    latencyTexts.push(text);
    const sent = new Promise<void>((resolve) => (onSent = resolve));
    mark(text).received = performance.now();
    await adapter.inject({ text, conversation: { id: `room-${i % 10}`, kind: 'direct' }, sender: senders[i % 10]! });
    await sent;
  }

  // A burst from twenty people, each in a conversation of their own.
  const started = performance.now();
  for (let i = 0; i < options.messages; i++) await adapter.inject({ text: `burst-${i}`, conversation: { id: `room-${i % people}`, kind: 'direct' }, sender: senders[i % people]! });
  await hearth.gateway.idle(300_000);
  const elapsed = performance.now() - started;
  recorder.stop();
  await hearth.stop();
  await ollama.close();

  const first = marks.get(latencyTexts[0]!)!;
  const latency = latencyTexts.slice(WARM_UP).map((t) => marks.get(t)!);
  const within = (from: number, to: number) => recorder.statements.filter((s) => s.at >= from && s.at <= to);
  const sample = latency[Math.floor(latency.length / 2)]!;
  return {
    driver: options.driver,
    messages: options.messages,
    people,
    burstSeconds: Math.round(elapsed / 100) / 10,
    messagesPerSecond: Math.round((options.messages / elapsed) * 1000),
    firstMessageMs: { inboundToModel: round(first.modelCalled! - first.received!), modelToSend: round(first.sent! - first.modelReturned!) },
    inboundToModelMs: { p50: percentile(latency.map((m) => m.modelCalled! - m.received!), 50), p99: percentile(latency.map((m) => m.modelCalled! - m.received!), 99) },
    modelToSendMs: { p50: percentile(latency.map((m) => m.sent! - m.modelReturned!), 50), p99: percentile(latency.map((m) => m.sent! - m.modelReturned!), 99) },
    promptChars: { system: prompt.system, tools: prompt.tools, total: prompt.system + prompt.tools + 'hi'.length },
    statementsPerTurn: {
      beforeModel: percentile(latency.map((m) => within(m.received!, m.modelCalled!).length), 50),
      afterModel: percentile(latency.map((m) => within(m.modelReturned!, m.sent!).length), 50),
    },
    sampleTurn: within(sample.received!, sample.sent! + 50).map((s) => `${(s.at - sample.received!).toFixed(1).padStart(6)} ms  ${s.sql.slice(0, 160)}`),
  };
}
