/**
 * Pipeline overhead with an instant model: how much time Hearth itself adds between a message
 * arriving and the model being asked, and between the model answering and the reply being sent
 * (one message at a time, so queueing does not hide in the figures); then throughput with a
 * burst of messages across ten conversations.
 */
import { PassThrough } from 'node:stream';
import type { ChatModel } from '../src/agent/model.ts';
import { loadConfig } from '../src/config/load.ts';
import { createHearth } from '../src/hearth.ts';
import { createLogger } from '../src/log.ts';
import { createTestAdapter } from '../test/helpers/test-adapter.ts';
import { percentile } from './stats.ts';
import { startFakeOllama } from '../test/fakes/ollama.ts';

export interface PipelineFigures {
  driver: string;
  messages: number;
  messagesPerSecond: number;
  inboundToModelMs: { p50: number; p99: number };
  modelToSendMs: { p50: number; p99: number };
  promptChars: { system: number; tools: number; total: number };
}

export async function benchPipeline(options: { driver: 'pglite' | 'postgres'; databaseUrl?: string; dataDir: string; messages: number }): Promise<PipelineFigures> {
  const marks = new Map<string, { received?: number; modelCalled?: number; modelReturned?: number; sent?: number }>();
  const mark = (text: string) => marks.get(text) ?? marks.set(text, {}).get(text)!;
  let prompt = { system: 0, tools: 0 };
  const instant: ChatModel = {
    name: 'instant',
    async chat(request) {
      const text = String(request.messages.at(-1)?.content ?? '');
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
  // Ollama stand-in, so recall runs as it does in production.
  const ollama = await startFakeOllama();
  const config = loadConfig({
    file: false,
    env: {},
    overrides: {
      owner: 'bench:owner-1',
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      ollama: { host: ollama.url },
      agent: { streaming: false, concurrency: 2 },
      limits: { messagesPerMinute: 1_000_000, tokensPerDay: 0 },
    },
  });
  const hearth = await createHearth({ config, log: createLogger({ level: 'silent', stream: new PassThrough() }), adapters: [adapter], model: instant, pollIntervalMs: 50 });
  await hearth.start();
  const sender = { accountId: 'owner-1', displayName: 'Bench' };

  // Latency: one message at a time.
  const latencyTexts: string[] = [];
  for (let i = 0; i < Math.min(200, options.messages); i++) {
    const text = `latency-${i}`;
    latencyTexts.push(text);
    const sent = new Promise<void>((resolve) => (onSent = resolve));
    mark(text).received = performance.now();
    await adapter.inject({ text, conversation: { id: `room-${i % 10}`, kind: 'direct' }, sender });
    await sent;
  }

  // Throughput: a burst across ten conversations.
  const started = performance.now();
  for (let i = 0; i < options.messages; i++) await adapter.inject({ text: `burst-${i}`, conversation: { id: `room-${i % 10}`, kind: 'direct' }, sender });
  await hearth.gateway.idle(300_000);
  const elapsed = performance.now() - started;
  await hearth.stop();
  await ollama.close();

  const latency = latencyTexts.map((t) => marks.get(t)!);
  return {
    driver: options.driver,
    messages: options.messages,
    messagesPerSecond: Math.round((options.messages / elapsed) * 1000),
    inboundToModelMs: { p50: percentile(latency.map((m) => m.modelCalled! - m.received!), 50), p99: percentile(latency.map((m) => m.modelCalled! - m.received!), 99) },
    modelToSendMs: { p50: percentile(latency.map((m) => m.sent! - m.modelReturned!), 50), p99: percentile(latency.map((m) => m.sent! - m.modelReturned!), 99) },
    promptChars: { system: prompt.system, tools: prompt.tools, total: prompt.system + prompt.tools + 'hi'.length },
  };
}
