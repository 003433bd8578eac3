/**
 * `npm run bench` — Hearth's speed and memory on this machine. Prints figures; `--json` prints
 * one JSON object instead; `--only pipeline,ollama` runs only the named sections (pipeline,
 * startup, recall, prompt, ollama, processes). Goals for a 2-core box: pipeline overhead p99
 * < 10 ms and a 200-message burst from 20 people answered in < 3 s on each driver; a first
 * start < 3 s, a restart < 1.5 s, RSS < 300 MB during start-up; idle RSS < 150 MB on PGlite and
 * < 120 MB on PostgreSQL; baseline prompt < 4,000 characters.
 */
import { parseArgs } from 'node:util';
import { runWithNodeFlags } from '../bin/node-flags.js';
import { benchPipeline, type PipelineFigures } from './pipeline.ts';
import { benchStartup, describeStartup, type StartupFigures } from './startup.ts';
import { createTestDatabase } from '../test/helpers/databases.ts';
import { runRecallBench } from './recall.ts';
import { runPromptBench } from './prompt.ts';
import { runOllamaServersBench } from './ollama-servers.ts';
import { runProcessesBench } from './processes.ts';

// Hearth's own V8 settings, so the pipeline figures describe Hearth as it runs (the start-up part runs bin/hearth.js itself).
runWithNodeFlags();

const { values: args } = parseArgs({ options: { json: { type: 'boolean', default: false }, messages: { type: 'string', default: '200' }, quick: { type: 'boolean', default: false }, only: { type: 'string' }, statements: { type: 'boolean', default: false } } });
const messages = Number(args.messages);
const sections = args.only?.split(',').map((s) => s.trim());
const wanted = (section: string) => !sections || sections.includes(section);
const results: { pipeline: Array<PipelineFigures | { driver: string; error: string }>; startup?: unknown; goals: Record<string, string> } = { pipeline: [], goals: {} };
const say = (line: string) => !args.json && process.stdout.write(`${line}\n`);

say(`Hearth benchmark\n`);
if (wanted('pipeline')) say(`pipeline: 200 messages one at a time (after 20 that warm up), then a burst of ${messages} messages from 20 people; instant model`);
for (const driver of wanted('pipeline') ? (['pglite', 'postgres'] as const) : []) {
  try {
    const database = await createTestDatabase(driver);
    try {
      const figures = await benchPipeline({ driver, databaseUrl: database.databaseUrl, dataDir: database.dataDir, messages });
      results.pipeline.push(figures);
      say(`${driver.padEnd(9)} inbound→model p50 ${figures.inboundToModelMs.p50} ms p99 ${figures.inboundToModelMs.p99} ms · model→send p50 ${figures.modelToSendMs.p50} ms p99 ${figures.modelToSendMs.p99} ms · statements per turn ${figures.statementsPerTurn.beforeModel} before the model, ${figures.statementsPerTurn.afterModel} after · burst ${figures.burstSeconds} s (${figures.messagesPerSecond} msg/s)`);
      say(`          first message after the start: inbound→model ${figures.firstMessageMs.inboundToModel} ms, model→send ${figures.firstMessageMs.modelToSend} ms (not in the percentiles)`);
      if (args.statements) say(`  one turn's statements (ms since it arrived):\n${figures.sampleTurn.map((line) => `    ${line}`).join('\n')}`);
    } finally {
      await database.drop();
    }
  } catch (error) {
    results.pipeline.push({ driver, error: (error as Error).message });
    say(`${driver.padEnd(9)} not measured: ${(error as Error).message}`);
  }
}

if (wanted('startup')) {
  // A database of its own: the Telegram stand-in's message ids start over, and Hearth ignores one it already has.
  const postgresForStartup = await createTestDatabase('postgres').catch(() => undefined);
  try {
    const startup = await benchStartup({ databaseUrl: postgresForStartup?.databaseUrl });
    results.startup = startup;
    say('');
    for (const line of describeStartup(startup)) say(line);
  } catch (error) {
    results.startup = { error: (error as Error).message };
    say(`\nstartup   not measured: ${(error as Error).message}`);
  } finally {
    await postgresForStartup?.drop();
  }
}

const prompt = results.pipeline.find((p): p is PipelineFigures => 'promptChars' in p)?.promptChars;
if (prompt) say(`prompt    one-word message: system ${prompt.system} + tool schemas ${prompt.tools} = ${prompt.total} characters`);

const startup = results.startup && 'firstStartMs' in (results.startup as object) ? (results.startup as StartupFigures) : undefined;
const idleRss = (driver: string) => startup?.idle.find((i) => i.driver === driver)?.idleRssMb;
const verdict = (value: number | undefined, limit: number, unit: string) => (value === undefined ? 'not measured' : `${value} ${unit} ${value < limit ? 'met' : 'missed'}`);
for (const driver of wanted('pipeline') ? ['pglite', 'postgres'] : []) {
  const figures = results.pipeline.find((p): p is PipelineFigures => p.driver === driver && 'burstSeconds' in p);
  const p99 = figures && Math.max(figures.inboundToModelMs.p99, figures.modelToSendMs.p99);
  results.goals[`overhead p99 < 10 ms (${driver})`] = verdict(p99, 10, 'ms');
  results.goals[`burst ${messages}/20 < 3 s (${driver})`] = verdict(figures?.burstSeconds, 3, 's');
}
results.goals = {
  ...results.goals,
  'first start < 3 s': verdict(startup?.firstStartMs, 3000, 'ms'),
  'restart < 1.5 s': verdict(startup?.restartMs, 1500, 'ms'),
  'start-up peak RSS < 300 MB': verdict(startup?.startupPeakRssMb, 300, 'MB'),
  'idle RSS PGlite < 150 MB': verdict(idleRss('pglite'), 150, 'MB'),
  'idle RSS PostgreSQL < 120 MB': verdict(idleRss('postgres'), 120, 'MB'),
  'prompt < 4000 chars': prompt ? `${prompt.total} ${prompt.total < 4000 ? 'met' : 'missed'}` : 'not measured',
};
if (wanted('recall')) await runRecallBench({ quick: args.quick, say, results });
if (wanted('prompt')) await runPromptBench({ say, results });
if (wanted('ollama')) await runOllamaServersBench({ quick: args.quick, say, results });
if (wanted('processes')) await runProcessesBench({ quick: args.quick, say, results });
say('\ngoals');
for (const [goal, figure] of Object.entries(results.goals)) say(`  ${goal.padEnd(32)} ${figure}`);
if (args.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
