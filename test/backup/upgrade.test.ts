/**
 * Upgrades are proven, not hoped: every fixture in test/fixtures/upgrade/ was made by an earlier
 * release (hearth-0.1.0.tar.gz: schema 0000–0004). Today's Hearth restores each on both drivers,
 * applies every migration added since, and a household would notice nothing: the people, their
 * accounts and roles, the grant, the memories (found by their embeddings, not only by words), the
 * conversation and its summary, the audit chain, and the old config file (which still loads and
 * migrates). Each later migration must keep this green.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/load.ts';
import { migrateConfigText } from '../../src/config/migrate-file.ts';
import { knownMigrations, migrationStatus } from '../../src/db/migrate.ts';
import { nearestMemoryIds } from '../../src/memory/recall.ts';
import { verifyAuditChain } from '../../src/audit/verify.ts';
import { restoreBackup } from '../../src/backup/restore.ts';
import { createTestDatabase, drivers, type TestDatabase } from '../helpers/databases.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { hashedEmbedding } from '../fakes/ollama.ts';
import { OWNER, olive, dm } from './household.ts';

const folder = 'test/fixtures/upgrade';
const fixtures = readdirSync(folder).filter((name) => name.endsWith('.tar.gz'));

describe.each(drivers)('upgrade from an earlier release on %s', (driver) => {
  let target: TestDatabase | undefined;
  let hearth: Hearth | undefined;
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await target?.drop();
    target = undefined;
  }, 180_000);

  it('has fixtures to restore', () => {
    expect(fixtures).toContain('hearth-0.1.0.tar.gz');
  });

  it.each(fixtures)('%s restores, migrates to the newest schema and keeps every kind of data', { timeout: 300_000 }, async (fixture) => {
    const restored = await createTestDatabase(driver);
    target = restored;
    const configPath = join(mkdtempSync(join(tmpdir(), 'hearth-upgrade-')), 'hearth.config.yaml');
    const result = await restoreBackup({
      file: join(folder, fixture),
      configPath,
      loadConfig: () => readConfig({ file: configPath, env: {}, overrides: { dataDir: restored.dataDir, databaseUrl: restored.databaseUrl } }).config,
    });
    const { manifest } = result;
    expect(result.migrated).toBe(knownMigrations().length - manifest.schema.migrations.length);
    expect(result.audit).toMatchObject({ ok: true, records: manifest.tables.audit_events });

    // The old config file came back, still loads (warning about its old keys) and migrates.
    const { config, warnings } = readConfig({ file: configPath, env: {} });
    expect(config.owner).toBe(OWNER);
    expect(warnings.join('\n')).toContain('hearth config migrate');
    expect(migrateConfigText(readFileSync(configPath, 'utf8')).changes).toContain('moved "memory.embedTimeoutMs" to "ollama.embedTimeoutMs"');

    const adapter = createTestAdapter();
    hearth = await startHearth({ adapters: [adapter], owner: OWNER, dataDir: driver === 'pglite' ? restored.dataDir : undefined, databaseUrl: restored.databaseUrl, config: { agent: { streaming: false } } });
    const database = hearth.hearth.database;
    expect(await migrationStatus(database)).toMatchObject({ applied: knownMigrations().length, unknownApplied: 0 });

    // No table lost rows on the way (tables a later release dropped on purpose are not counted).
    for (const [table, rows] of Object.entries(manifest.tables)) {
      const [exists] = await database.rows<{ present: boolean }>(sql`select to_regclass(${`public.${table}`}) is not null as present`);
      if (!exists?.present) continue;
      const [count] = await database.rows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`);
      expect({ table, rows: Number(count!.n) }).toEqual({ table, rows: expect.any(Number) });
      expect(Number(count!.n), table).toBeGreaterThanOrEqual(rows);
    }

    // People, accounts, roles and the grant, as the owner sees them.
    const people = hearth.hearth.gateway.people;
    const bob = await people.find('test:bob-1');
    expect(bob).toMatchObject({ displayName: 'Bob', role: 'member' });
    const send = async (text: string) => {
      const before = adapter.sent.length;
      // The restored journal holds the old release's event ids; a real platform's are new.
      await adapter.inject({ sender: olive, conversation: dm('dm-olive'), text, eventId: `after-upgrade-${randomUUID()}` });
      await hearth!.idle();
      return adapter.sent.slice(before).map((m) => m.text).join('\n');
    };
    expect(await send('/whois Bob')).toMatch(/Bob — member \(member\)[\s\S]*Accounts: test:bob-1[\s\S]*remember \(write\): deny — own grant/);

    // Memories are found by their embeddings alone, and recalled into the prompt with the history.
    const owner = (await people.owner())!;
    const [space] = manifest.embedding.spaces;
    const ids = await nearestMemoryIds(database, { viewer: { personId: owner.id, role: 'owner', roomKey: 'test:dm-olive', direct: true }, vector: { space: space!, values: hashedEmbedding('Olive is allergic to peanuts') }, limit: 1, exact: false });
    const [nearest] = await database.rows<{ text: string }>(sql`select text from memories where id = ${ids[0] ?? -1}`);
    expect(nearest?.text).toBe('Olive is allergic to peanuts');
    await send('Shall we pack peanut sandwiches for the trip, and when does the recycling go out?');
    const prompt = hearth.ollama.chatRequests.filter((r) => r.stream !== false).at(-1)!.messages.map((m) => m.content).join('\n');
    expect(prompt).toContain('Olive is allergic to peanuts');
    expect(prompt).toContain('The recycling goes out on Tuesday evenings');
    expect(prompt).toMatch(/Trip plan, day 8/);

    // The audit chain still verifies after the new records of this session.
    expect(await verifyAuditChain(database)).toMatchObject({ ok: true });
  });
});
