/**
 * The audit chain on both databases: any edited, deleted or reordered record is found and named
 * (through the library and through `hearth audit verify`), pruning keeps the rest verifiable,
 * and `hearth people` / `hearth audit` work on the database or through a running Hearth.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { serve } from '@hono/node-server';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { verifyAuditChain, pruneAuditLog } from '../../src/audit/verify.ts';
import { OWNER, addPerson, bob } from './helpers.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import { runHearth } from '../helpers/run-hearth.ts';

describeEachDriver('audit chain on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  const start = async (config: Record<string, unknown> = {}) =>
    (hearth = await startHearth({ adapters: [adapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, config }));
  const cliEnv = (): Record<string, string> => (database.databaseUrl ? { DATABASE_URL: database.databaseUrl, HEARTH_DATA_DIR: database.dataDir } : { HEARTH_DATA_DIR: database.dataDir });
  /** A few real records: strangers refused. */
  const someRecords = async (h: Hearth, n = 5) => {
    for (let i = 0; i < n; i++) await adapter.inject({ conversation: { id: `dm-s${i}`, kind: 'direct' }, sender: { accountId: `s${i}`, displayName: `S${i}` }, text: 'hi' });
    await h.idle();
    const ids = await h.hearth.database.rows<{ id: number }>(sql`select id from audit_events order by id`);
    return ids.map((r) => Number(r.id));
  };
  /** What someone with database access might do: switch the guard off and edit. */
  const tamper = async (h: Hearth, statement: ReturnType<typeof sql>) => {
    await h.hearth.database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
      await tx.execute(statement);
      await tx.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
    });
  };

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  it('verifies an intact chain', async () => {
    const h = await start();
    const ids = await someRecords(h);
    const result = await verifyAuditChain(h.hearth.database);
    expect(result).toMatchObject({ ok: true, records: ids.length, firstId: ids[0], lastId: ids.at(-1), problems: [] });
  });

  it('names an edited record', async () => {
    const h = await start();
    const ids = await someRecords(h);
    const victim = ids[3]!;
    await tamper(h, sql`update audit_events set detail = jsonb_set(detail, '{reason}', '"nothing to see"') where id = ${victim}`);
    const result = await verifyAuditChain(h.hearth.database);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ id: victim, problem: expect.stringMatching(/was changed/) }]);
  });

  it('names the gap a deleted record leaves, even when deleted through the prune setting', async () => {
    const h = await start();
    const ids = await someRecords(h);
    await h.hearth.database.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('hearth.audit_prune', 'on', true)`);
      await tx.execute(sql`delete from audit_events where id = ${ids[2]!}`);
    });
    const result = await verifyAuditChain(h.hearth.database);
    expect(result.problems).toEqual([{ id: ids[3], problem: expect.stringMatching(new RegExp(`does not follow record ${ids[1]}`)) }]);
  });

  it('notices reordered records and deleted oldest records', async () => {
    const h = await start();
    const ids = await someRecords(h);
    await tamper(h, sql`update audit_events set id = ${ids.at(-1)! + 100} where id = ${ids[1]!}`);
    const reordered = await verifyAuditChain(h.hearth.database);
    // The moved record breaks the chain where it left and where it landed (it is also not the head the log remembers).
    expect(new Set(reordered.problems.map((p) => p.id))).toEqual(new Set([ids[2], ids.at(-1)! + 100]));

    await tamper(h, sql`delete from audit_events where id = ${ids[0]!}`);
    const headless = await verifyAuditChain(h.hearth.database);
    expect(headless.problems[0]).toEqual({ id: ids[2], problem: expect.stringMatching(/oldest record but does not start the chain/) });
  });

  it('fails `hearth audit verify` when the newest records were removed, naming what is missing', async () => {
    const h = await start();
    const ids = await someRecords(h);
    expect((await verifyAuditChain(h.hearth.database)).ok).toBe(true);
    // What is left is an intact chain, only shorter: the hashes alone cannot tell.
    await tamper(h, sql`delete from audit_events where id >= ${ids.at(-2)!}`);
    const result = await verifyAuditChain(h.hearth.database);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ id: ids.at(-1), problem: expect.stringContaining(`the newest records were removed (#${ids.at(-2)}–#${ids.at(-1)}, up to 2 records`) }]);

    await h.stop();
    hearth = undefined;
    const cli = await runHearth(['audit', 'verify'], cliEnv());
    expect(cli.code).not.toBe(0);
    expect(cli.stdout).toContain(`record #${ids.at(-1)} is missing: the newest records were removed`);
  });

  it('refuses edits, deletes and truncation while the guard is on', async () => {
    const h = await start();
    await someRecords(h, 1);
    for (const statement of [sql`update audit_events set kind = 'x'`, sql`delete from audit_events`, sql`truncate audit_events`]) {
      await expect(h.hearth.database.rows(statement)).rejects.toThrow();
    }
    expect((await verifyAuditChain(h.hearth.database)).ok).toBe(true);
  });

  it('prunes old records and still verifies from the anchor', async () => {
    const h = await start();
    const ids = await someRecords(h, 4);
    const cutoff = new Date(Date.now() + 1000); // everything so far is "old"
    const pruned = await pruneAuditLog(h.hearth.database, cutoff, { via: 'test' });
    // The newest record always stays so the chain keeps its head.
    expect(pruned).toEqual({ removed: ids.length - 1, throughId: ids.at(-2) });
    await someRecords(h, 1);
    const result = await verifyAuditChain(h.hearth.database);
    expect(result).toMatchObject({ ok: true, firstId: ids.at(-1) });
    expect(await h.audit()).toContainEqual(expect.objectContaining({ kind: 'audit.pruned', detail: expect.objectContaining({ removed: ids.length - 1 }) }));
  });

  // Three `hearth` processes and two starts, each opening the database: slow on PGlite.
  it('`hearth people` changes grants on the database and `hearth audit verify` names a tampered record', { timeout: 90_000 }, async () => {
    const h = await start();
    await addPerson(h, 'Bob', 'member', bob);
    await someRecords(h, 3);
    await h.stop();
    hearth = undefined;

    const grant = await runHearth(['people', 'grant', 'Bob', 'calculate', 'deny'], cliEnv());
    expect(grant.stderr).toBe('');
    expect(grant.stdout).toMatch(/Bob: calculate → deny/);
    const search = await runHearth(['audit', 'search', '--kind', 'grant.*', '--json'], cliEnv());
    expect(JSON.parse(search.stdout).records).toEqual([expect.objectContaining({ kind: 'grant.set', detail: expect.objectContaining({ via: 'cli' }) })]);
    const intact = await runHearth(['audit', 'verify'], cliEnv());
    expect(intact.stdout).toMatch(/✓ audit chain intact/);
    expect(intact.code).toBe(0);

    const h2 = await start();
    const [victim] = await h2.hearth.database.rows<{ id: number }>(sql`select id from audit_events where kind = 'grant.set'`);
    await tamper(h2, sql`update audit_events set detail = jsonb_set(detail, '{decision}', '"allow"') where id = ${victim!.id}`);
    await h2.stop();
    hearth = undefined;
    const broken = await runHearth(['audit', 'verify'], cliEnv());
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`record #${victim!.id} was changed`);
  });
});

describe('hearth CLI beside a running Hearth on the embedded database', () => {
  it('goes through the admin API when the data folder is in use', { timeout: 90_000 }, async () => {
    const database = await createTestDatabase('pglite');
    const ollama = await startFakeOllama();
    const adapter = createTestAdapter();
    const token = 'cli-admin-token-0123456789abcdef';
    const h = await startHearth({ adapters: [adapter], owner: OWNER, driver: 'pglite', dataDir: database.dataDir, ollama, config: { access: { adminToken: token } } });
    const server = serve({ fetch: h.hearth.http.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const port = String((server.address() as AddressInfo).port);
    try {
      await addPerson(h, 'Bob', 'member', bob);
      const env = { HEARTH_DATA_DIR: database.dataDir, HEARTH_HTTP_PORT: port };
      const withoutToken = await runHearth(['people', 'list'], env);
      expect(withoutToken.code).toBe(1);
      expect(withoutToken.stderr).toMatch(/in use by another Hearth process[\s\S]*HEARTH_ADMIN_TOKEN/);

      const list = await runHearth(['people', 'list'], { ...env, HEARTH_ADMIN_TOKEN: token });
      expect(list.stdout).toMatch(/Bob\s+member/);
      const role = await runHearth(['people', 'role', 'Bob', 'guest'], { ...env, HEARTH_ADMIN_TOKEN: token });
      expect(role.stdout).toMatch(/role: member → guest/);
      expect(await h.hearth.gateway.people.find('Bob')).toMatchObject({ role: 'guest' });
      const tail = await runHearth(['audit', 'tail', '-n', '3'], { ...env, HEARTH_ADMIN_TOKEN: token });
      expect(tail.stdout).toMatch(/role\.changed/);
      expect(tail.stdout).not.toContain(token);
    } finally {
      server.close();
      await h.stop();
      await ollama.close();
      await database.drop();
    }
  });
});
