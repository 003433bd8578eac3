/**
 * Recovery is prompt: while the model fails, a message and its follow-up wait (with one apology);
 * as soon as the model answers again both are answered, in order, within a second or two — never
 * after the minute-long retry pause Hearth would otherwise wait (the harness sets 60 s).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Hearth } from '../helpers/harness.ts';
import { startHearth } from '../helpers/harness.ts';
import { closeScenario, openScenario, type Scenario } from '../helpers/scenario.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { until } from '../helpers/eventually.ts';
import { scaled } from '../helpers/time-scale.ts';
import { APOLOGY } from '../../src/pipeline/stages/agent.ts';
import { startFakeOllama } from '../fakes/ollama.ts';

describeEachDriver('when the model comes back (%s)', (driver) => {
  let scenario: Scenario;
  let hearth: Hearth | undefined;
  beforeEach(async () => {
    scenario = await openScenario(driver);
  });
  afterEach(async () => {
    await closeScenario({ ...scenario, hearth });
    hearth = undefined;
  });

  const start = () =>
    startHearth({ adapters: [scenario.adapter], owner: 'test:owner-1', driver, dataDir: scenario.database.dataDir, databaseUrl: scenario.database.databaseUrl, ollama: scenario.ollama, config: { agent: { retryBaseMs: 60_000, streaming: false } } });
  const texts = () => scenario.adapter.sent.map((m) => m.text);

  it('answers the waiting message and its follow-up at once, in order, after an HTTP 500 outage', async () => {
    hearth = await start();
    const { ollama, adapter } = scenario;
    ollama.always({ kind: 'http-error', status: 500, error: 'llama runner process has terminated' });
    await adapter.inject({ text: 'first question' });
    await until(() => texts().includes(APOLOGY), 'the apology');
    await adapter.inject({ text: 'follow-up' });

    ollama.always(undefined);
    const back = Date.now();
    await until(() => texts().length >= 3, 'both answers', 5_000);
    const waited = Date.now() - back;
    expect(texts()).toEqual([APOLOGY, 'echo: first question', 'echo: follow-up']);
    expect(waited).toBeLessThan(scaled(3_000));
  });

  it('answers a follow-up sent after Ollama restarted, without waiting for the first message\'s retry', async () => {
    hearth = await start();
    const { adapter } = scenario;
    const port = Number(new URL(scenario.ollama.url).port);
    await scenario.ollama.close();
    await adapter.inject({ text: 'are you there?' });
    await until(() => texts().includes(APOLOGY), 'the apology');

    // Ollama is started again at the same address; the person writes again at once.
    scenario.ollama = await startFakeOllama({ port });
    await adapter.inject({ text: 'hello again' });
    await until(() => texts().length >= 3, 'both answers', 5_000);
    expect(texts()).toEqual([APOLOGY, 'echo: are you there?', 'echo: hello again']);
  });
});
