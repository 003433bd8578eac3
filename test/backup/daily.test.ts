/**
 * Daily backups with retention, on both drivers: one is taken when none is a day old (at start,
 * so a Hearth stopped overnight catches up), none while the newest is fresh, and only the newest
 * N are kept. A clock moved by hand stands in for the days.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { DailyBackups, DAY_MS } from '../../src/backup/daily.ts';
import { readManifest } from '../../src/backup/archive.ts';
import { plainLog } from '../../src/backup/before-migration.ts';
import { createTestDatabase, drivers, type TestDatabase } from '../helpers/databases.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { until } from '../helpers/eventually.ts';
import { PassThrough } from 'node:stream';

describe.each(drivers)('daily backups on %s', (driver) => {
  let database: TestDatabase | undefined;
  let hearth: Hearth | undefined;
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await database?.drop();
  }, 180_000);

  it('takes one a day, whatever the number of checks, and keeps the newest N', { timeout: 300_000 }, async () => {
    database = await createTestDatabase(driver);
    const dir = mkdtempSync(join(tmpdir(), 'hearth-daily-'));
    const config = loadConfig({ file: false, env: {}, overrides: { dataDir: database.dataDir, databaseUrl: database.databaseUrl, backup: { daily: true, keepDaily: 2, dir } } });
    const db = await openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    try {
      await runMigrations(db);
      let now = new Date('2026-03-01T03:00:00Z');
      const daily = new DailyBackups({ database: db, config, log: plainLog(new PassThrough()), now: () => now });
      const taken: Array<string | undefined> = [];
      for (const hours of [0, 1, 12, 23, 24, 30, 48, 49, 72]) {
        now = new Date(Date.parse('2026-03-01T03:00:00Z') + hours * 3_600_000);
        taken.push((await daily.runIfDue())?.split('/').at(-1));
      }
      expect(taken).toEqual([
        'hearth-daily-2026-03-01T03-00-00.000Z.tar.gz',
        undefined,
        undefined,
        undefined,
        'hearth-daily-2026-03-02T03-00-00.000Z.tar.gz',
        undefined,
        'hearth-daily-2026-03-03T03-00-00.000Z.tar.gz',
        undefined,
        'hearth-daily-2026-03-04T03-00-00.000Z.tar.gz',
      ]);
      expect(readdirSync(dir).sort()).toEqual(['hearth-daily-2026-03-03T03-00-00.000Z.tar.gz', 'hearth-daily-2026-03-04T03-00-00.000Z.tar.gz']);
      expect((await readManifest(join(dir, 'hearth-daily-2026-03-04T03-00-00.000Z.tar.gz'))).createdAt).toBe(new Date(Date.parse('2026-03-01T03:00:00Z') + 3 * DAY_MS).toISOString());
    } finally {
      await db.close();
    }
  });

  it('are taken by a running Hearth when switched on, and not otherwise', { timeout: 300_000 }, async () => {
    database = await createTestDatabase(driver);
    const dir = mkdtempSync(join(tmpdir(), 'hearth-daily-'));
    const options = { adapters: [createTestAdapter()], owner: 'test:owner-1', dataDir: driver === 'pglite' ? database.dataDir : undefined, databaseUrl: database.databaseUrl };
    hearth = await startHearth({ ...options, config: { backup: { dir } } });
    await hearth.stop();
    hearth = undefined;
    expect(readdirSync(dir)).toEqual([]);

    hearth = await startHearth({ ...options, config: { backup: { dir, daily: true } } });
    await until(() => readdirSync(dir).some((name) => name.startsWith('hearth-daily-')), 'a daily backup in the backup folder', 60_000);
    await until(() => hearth!.logs.some((line) => line.includes('daily backup written')), 'the log line naming it');
  });
});
