/**
 * `npm run bench` — Hearth's speed and memory on this machine. Prints figures; `--json` prints
 * one JSON object instead. Goals for a 2-core box: pipeline overhead p99 < 10 ms, ready < 3 s,
 * idle RSS < 200 MB, baseline prompt < 4,000 characters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchPipeline, type PipelineFigures } from './pipeline.ts';
import { benchStartup } from './startup.ts';
import { createTestDatabase } from '../test/helpers/databases.ts';
import { runRecallBench } from './recall.ts';

const { values: args } = parseArgs({ options: { json: { type: 'boolean', default: false }, messages: { type: 'string', default: '300' }, quick: { type: 'boolean', default: false } } });
const messages = Number(args.messages);
const results: { pipeline: Array<PipelineFigures | { driver: string; error: string }>; startup?: unknown; goals: Record<string, string> } = { pipeline: [], goals: {} };
const say = (line: string) => !args.json && process.stdout.write(`${line}\n`);

say(`Hearth benchmark (${messages} messages, instant model)\n`);
for (const driver of ['pglite', 'postgres'] as const) {
  try {
    const database = await createTestDatabase(driver);
    try {
      const figures = await benchPipeline({ driver, databaseUrl: database.databaseUrl, dataDir: database.dataDir, messages });
      results.pipeline.push(figures);
      say(`${driver.padEnd(9)} ${figures.messagesPerSecond} msg/s · inbound→model p50 ${figures.inboundToModelMs.p50} ms p99 ${figures.inboundToModelMs.p99} ms · model→send p50 ${figures.modelToSendMs.p50} ms p99 ${figures.modelToSendMs.p99} ms`);
    } finally {
      await database.drop();
    }
  } catch (error) {
    results.pipeline.push({ driver, error: (error as Error).message });
    say(`${driver.padEnd(9)} not measured: ${(error as Error).message}`);
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-'));
const postgresForStartup = await createTestDatabase('postgres').catch(() => undefined);
try {
  const startup = await benchStartup(dataDir, postgresForStartup?.databaseUrl);
  results.startup = startup;
  say(`\nstartup   first start (creates the database) ${startup.firstStartMs} ms · warm start ${startup.warmStartMs} ms · idle RSS ${startup.idleRssMb} MB (on PostgreSQL instead of PGlite: ${startup.idleRssPostgresMb ?? 'not measured'} MB)`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  await postgresForStartup?.drop();
}

const prompt = results.pipeline.find((p): p is PipelineFigures => 'promptChars' in p)?.promptChars;
if (prompt) say(`prompt    one-word message: system ${prompt.system} + tool schemas ${prompt.tools} = ${prompt.total} characters`);

const measured = results.pipeline.filter((p): p is PipelineFigures => 'messagesPerSecond' in p);
const worstP99 = Math.max(...measured.flatMap((p) => [p.inboundToModelMs.p99, p.modelToSendMs.p99]));
const startup = results.startup as { warmStartMs: number; idleRssMb: number } | undefined;
results.goals = {
  'overhead p99 < 10 ms': `${worstP99} ms ${worstP99 < 10 ? 'met' : 'missed'}`,
  'ready < 3 s': startup ? `${startup.warmStartMs} ms ${startup.warmStartMs < 3000 ? 'met' : 'missed'}` : 'not measured',
  'idle RSS < 200 MB': startup ? `${startup.idleRssMb} MB ${startup.idleRssMb < 200 ? 'met' : 'missed'}` : 'not measured',
  'prompt < 4000 chars': prompt ? `${prompt.total} ${prompt.total < 4000 ? 'met' : 'missed'}` : 'not measured',
};
await runRecallBench({ quick: args.quick, say, results });
say('\ngoals');
for (const [goal, verdict] of Object.entries(results.goals)) say(`  ${goal.padEnd(22)} ${verdict}`);
if (args.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
