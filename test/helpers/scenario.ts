/**
 * The usual end-to-end test setup: a fresh database on the given driver, an Ollama stand-in and
 * an in-process test adapter; and the matching teardown.
 */
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { createTestDatabase, type Driver, type TestDatabase } from './databases.ts';
import { createTestAdapter, type TestAdapter } from './test-adapter.ts';
import type { Hearth } from './harness.ts';

export interface Scenario {
  database: TestDatabase;
  ollama: FakeOllama;
  adapter: TestAdapter;
}

export async function openScenario(driver: Driver): Promise<Scenario> {
  return { database: await createTestDatabase(driver), ollama: await startFakeOllama(), adapter: createTestAdapter() };
}

export async function closeScenario(scenario: { hearth?: Hearth; ollama: FakeOllama; database: TestDatabase }): Promise<void> {
  await scenario.hearth?.stop();
  await scenario.ollama.close();
  await scenario.database.drop();
}
