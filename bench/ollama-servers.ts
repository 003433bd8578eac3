/**
 * Model capacity from several Ollama servers: a burst of messages from many people against
 * Ollama stand-ins that take a fixed time per answer and run one answer at a time each
 * (OLLAMA_SERVER_CONCURRENCY=1), with 1, 2 and 3 servers. Throughput should grow close to
 * linearly with the servers, since the model is the bottleneck and Hearth keeps every server busy.
 */
import { PassThrough } from 'node:stream';
import { loadConfig } from '../src/config/load.ts';
import { createHearth } from '../src/hearth.ts';
import { createLogger } from '../src/log.ts';
import { startFakeOllama, type FakeOllama } from '../test/fakes/ollama.ts';
import { createTestAdapter } from '../test/helpers/test-adapter.ts';

export interface OllamaServersFigures {
  servers: number;
  messages: number;
  people: number;
  answerMs: number;
  seconds: number;
  messagesPerSecond: number;
  /** Answers per server, in server order. */
  spread: number[];
  /** The time the same burst would take on one server, divided by this time. */
  speedup?: number;
}

export async function benchOllamaServers(options: { servers: number; messages: number; people: number; answerMs: number }): Promise<OllamaServersFigures> {
  const fakes: FakeOllama[] = [];
  for (let i = 0; i < options.servers; i++) fakes.push(await startFakeOllama({ answerDelayMs: options.answerMs }));
  const adapter = createTestAdapter('bench', { canEdit: false, hasTyping: false });
  const people = Array.from({ length: options.people }, (_, i) => `person-${i}`);
  const config = loadConfig({
    file: false,
    env: {},
    overrides: {
      owner: people.map((p) => `bench:${p}`).join(','),
      dataDir: '/tmp/hearth-bench-unused',
      ollama: { host: fakes.map((f) => f.url).join(','), serverConcurrency: 1 },
      agent: { streaming: false, concurrency: Math.max(2, options.servers + 1) },
      limits: { messagesPerMinute: 1_000_000, tokensPerDay: 0 },
    },
  });
  const hearth = await createHearth({ config, log: createLogger({ level: 'silent', stream: new PassThrough() }), adapters: [adapter], inMemory: true, pollIntervalMs: 50 });
  await hearth.start();
  try {
    const started = performance.now();
    for (let i = 0; i < options.messages; i++) {
      const person = people[i % people.length]!;
      await adapter.inject({ text: `burst ${i}`, conversation: { id: person, kind: 'direct' }, sender: { accountId: person, displayName: person } });
    }
    await hearth.gateway.idle(600_000);
    const seconds = (performance.now() - started) / 1000;
    const answered = adapter.sent.filter((m) => m.text.startsWith('echo: burst')).length;
    if (answered !== options.messages) throw new Error(`${answered} of ${options.messages} messages were answered`);
    return { servers: options.servers, messages: options.messages, people: options.people, answerMs: options.answerMs, seconds: Math.round(seconds * 10) / 10, messagesPerSecond: Math.round((options.messages / seconds) * 100) / 100, spread: fakes.map((f) => f.chatRequests.length) };
  } finally {
    await hearth.stop();
    for (const fake of fakes) await fake.close();
  }
}

/** The section of `npm run bench`: 1, 2 and 3 servers. */
export async function runOllamaServersBench(options: { quick: boolean; say: (line: string) => void; results: Record<string, unknown> }): Promise<void> {
  const messages = options.quick ? 60 : 300;
  const figures: OllamaServersFigures[] = [];
  options.say(`\nOllama servers: ${messages} messages from 30 people, 300 ms per answer, one answer at a time per server`);
  for (const servers of [1, 2, 3]) {
    try {
      const result = await benchOllamaServers({ servers, messages, people: 30, answerMs: 300 });
      result.speedup = figures[0] ? Math.round((figures[0].seconds / result.seconds) * 100) / 100 : 1;
      figures.push(result);
      options.say(`  ${servers} server${servers > 1 ? 's' : ' '}  ${result.seconds} s · ${result.messagesPerSecond} msg/s · ×${result.speedup} · answers per server ${result.spread.join(' / ')}`);
    } catch (error) {
      options.say(`  ${servers} server(s) not measured: ${(error as Error).message}`);
    }
  }
  options.results.ollamaServers = figures;
  const three = figures.find((f) => f.servers === 3);
  const goals = options.results.goals as Record<string, string>;
  goals['3 Ollama servers ≥ ×2.5'] = three?.speedup ? `×${three.speedup} ${three.speedup >= 2.5 ? 'met' : 'missed'}` : 'not measured';
}
