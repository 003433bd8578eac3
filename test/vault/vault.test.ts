/**
 * The credentials vault on both databases: passwords are sealed at rest with a key that lives
 * outside the database (a 0600 file or HEARTH_SECRET_KEY), and a lost key is explained.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { People } from '../../src/access/people.ts';
import { Connections, LostKeyError } from '../../src/vault/connections.ts';
import { secretKeyChecks } from '../../src/vault/doctor.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';

const PASSWORD = 'correct horse battery staple 42';

describeEachDriver('credentials vault on %s', (driver) => {
  let test: TestDatabase;
  let database: Database;
  let personId: string;

  beforeEach(async () => {
    test = await createTestDatabase(driver);
    database = await openDatabase({ databaseUrl: test.databaseUrl, dataDir: test.dataDir });
    await runMigrations(database);
    personId = (await new People(database.db).create({ displayName: 'Ann', role: 'member', account: { platform: 'test', accountId: 'ann', displayName: 'Ann' } })).id;
  });
  afterEach(async () => {
    await database.close();
    await test.drop();
  });

  it('stores the password sealed, with the key in a 0600 file of the data folder and never in the database', async () => {
    const vault = new Connections(database.db, { dataDir: test.dataDir });
    await vault.save({ personId }, 'mail', { settings: { imapUrl: 'imap://127.0.0.1:1143', smtpUrl: 'smtp://127.0.0.1:2525', username: 'ann' }, password: PASSWORD });
    const keyFile = join(test.dataDir, 'secret.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    const dump = JSON.stringify(await database.rows(sql`select * from connections`));
    expect(dump).not.toContain(PASSWORD);
    expect(dump).not.toContain(key);
    expect(dump).toContain('imap://127.0.0.1:1143');
    expect((await vault.credentials({ personId }, 'mail'))?.password).toBe(PASSWORD);
    expect(await vault.credentials({ personId }, 'calendar')).toBeUndefined();
    expect(await secretKeyChecks(database, { dataDir: test.dataDir })).toEqual([expect.objectContaining({ ok: true, detail: expect.stringContaining('encrypts 1 connection') })]);
  });

  it('explains a lost or replaced key instead of crashing, and doctor says what to do', async () => {
    const vault = new Connections(database.db, { dataDir: test.dataDir });
    await vault.save({ personId }, 'calendar', { settings: { url: 'http://127.0.0.1:5232/', username: 'ann' }, password: PASSWORD });
    rmSync(join(test.dataDir, 'secret.key'));
    await expect(vault.credentials({ personId }, 'calendar')).rejects.toThrow(LostKeyError);
    await expect(vault.credentials({ personId }, 'calendar')).rejects.toThrow(/\/connect calendar/);
    const missing = await secretKeyChecks(database, { dataDir: test.dataDir });
    expect(missing).toEqual([expect.objectContaining({ ok: false, fix: expect.stringContaining('restore secret.key') })]);

    writeFileSync(join(test.dataDir, 'secret.key'), `${'ab'.repeat(32)}\n`, { mode: 0o644 });
    const replaced = await secretKeyChecks(database, { dataDir: test.dataDir });
    expect(replaced.map((c) => [c.name, c.ok])).toEqual([['secret key', true], ['secret key file', false], ['stored passwords', false]]);
  });

  it('uses HEARTH_SECRET_KEY when set, and refuses a malformed one with the fix', async () => {
    const secretKey = 'cd'.repeat(32);
    const vault = new Connections(database.db, { dataDir: test.dataDir, secretKey });
    await vault.save({ personId }, 'calendar', { settings: { url: 'http://127.0.0.1:5232/', username: 'ann' }, password: PASSWORD });
    expect(() => statSync(join(test.dataDir, 'secret.key'))).toThrow();
    expect((await vault.credentials({ personId }, 'calendar'))?.password).toBe(PASSWORD);
    await expect(new Connections(database.db, { dataDir: test.dataDir }).credentials({ personId }, 'calendar')).rejects.toThrow(LostKeyError);
    await expect(new Connections(database.db, { dataDir: test.dataDir, secretKey: 'short' }).credentials({ personId }, 'calendar')).rejects.toThrow(/openssl rand -hex 32/);
  });
});
