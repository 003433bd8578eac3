/**
 * A turn interrupted by a database outage is answered as soon as the database is back — not when
 * its claim's lease runs out (set to ten minutes here, so waiting for it would fail the test).
 * The outage is real: PostgreSQL stops accepting connections to Hearth's database and ends the
 * ones it has, while the model is writing the answer.
 */
import postgres from 'postgres';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/databases.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { describeNeeding } from '../helpers/requirements.ts';
import { until } from '../helpers/eventually.ts';
import { scaled } from '../helpers/time-scale.ts';

describeNeeding('postgres', 'a database outage in the middle of a turn', () => {
  let database: TestDatabase;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;
  let admin: postgres.Sql;
  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    adapter = createTestAdapter();
    admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  });
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await admin.end({ timeout: 1 });
    await database.drop();
  });

  it('answers the interrupted message once the database is back, without waiting for the lease', async () => {
    hearth = await startHearth({ adapters: [adapter], owner: 'test:owner-1', databaseUrl: database.databaseUrl, leaseMs: 10 * 60_000, config: { agent: { streaming: false }, ollama: { slowNoticeMs: 10 * 60_000 } } });
    const name = new URL(database.databaseUrl!).pathname.slice(1);
    // The first answer takes a while, long enough to cut the database off under it.
    hearth.ollama.reply({ content: 'lost in the outage', firstTokenDelayMs: scaled(2_000) });
    await adapter.inject({ text: "what's for dinner?" });
    await until(() => hearth!.ollama.chatRequests.length === 1, 'the model to be asked');

    await admin.unsafe(`alter database ${name} allow_connections false`);
    await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);
    await until(() => hearth!.logs.some((line) => line.includes('could not record the outcome of this message')), 'the turn to fail on the database', 30_000);

    await admin.unsafe(`alter database ${name} allow_connections true`);
    const back = Date.now();
    await until(() => adapter.sent.length >= 1, 'the answer after the outage', 60_000);
    const waitedMs = Date.now() - back;
    await hearth.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual(["echo: what's for dinner?"]);
    expect(waitedMs).toBeLessThan(scaled(10_000));
  });
});
