/**
 * Floods cost a bounded number of rows: a stranger writing a thousand times, a thousand webhook
 * posts with a wrong secret, a thousand admin calls with a wrong token. The bounds asserted here
 * are the ones docs/security.md states per window.
 */
import { afterEach, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { describeEachDriver } from '../helpers/drivers.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { telegramAdapterFor } from '../fakes/telegram-fixture.ts';
import type { Adapter } from '../../src/core/index.ts';

const ADMIN_TOKEN = 'an-admin-token-long-enough-0123456789';
const SECRET = 'flood-webhook-secret-0123456789';

describeEachDriver('floods on %s', (driver) => {
  let database: TestDatabase | undefined;
  let hearth: Hearth | undefined;
  let fake: FakeTelegram | undefined;
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await fake?.close();
    fake = undefined;
    await database?.drop();
    database = undefined;
  });

  async function start(adapters: Adapter[], config: Record<string, unknown> = {}): Promise<Hearth> {
    database = await createTestDatabase(driver);
    hearth = await startHearth({ adapters, owner: 'test:owner-1', config, ...(driver === 'postgres' ? { databaseUrl: database.databaseUrl } : { dataDir: database.dataDir }) });
    return hearth;
  }

  const count = async (h: Hearth, table: 'inbound_journal' | 'audit_events') => {
    const [row] = await h.hearth.database.rows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`);
    return Number(row!.n);
  };

  it('a stranger sending 1,000 messages adds at most 10 journal rows, none with text, and 6 audit records', async () => {
    const adapter = createTestAdapter();
    const h = await start([adapter]);
    const journalBefore = await count(h, 'inbound_journal');
    const auditBefore = await count(h, 'audit_events');
    const stranger = { accountId: 'stranger-1', displayName: 'Mallory' };
    for (let i = 0; i < 1_000; i++) await adapter.inject({ text: `let me in ${i} ${'x'.repeat(3_000)}`, sender: stranger, conversation: { id: 'dm-stranger', kind: 'direct' } });
    await h.idle();
    // The stranger was told once (with a pairing code), not a thousand times.
    expect(adapter.sent.filter((m) => m.conversation.id === 'dm-stranger')).toHaveLength(1);
    const journal = await h.hearth.database.rows<{ text: string | null }>(sql`select message->>'text' as text from inbound_journal where message->'sender'->>'accountId' = 'stranger-1'`);
    expect(journal.length).toBeLessThanOrEqual(10);
    expect(journal.every((row) => row.text === null)).toBe(true);
    expect((await count(h, 'inbound_journal')) - journalBefore).toBeLessThanOrEqual(10);

    await h.stop(); // writes the counts of the open windows
    hearth = undefined;
    const reopened = (hearth = await startHearth({ adapters: [createTestAdapter()], owner: 'test:owner-1', ...(driver === 'postgres' ? { databaseUrl: database!.databaseUrl } : { dataDir: database!.dataDir }) }));
    const added = (await reopened.audit()).slice(auditBefore).filter((r) => r.subject === 'test:stranger-1');
    // Pairing: the code issued (refusal + request), then "code already issued" once plus its count;
    // the flood: one record plus its count. Six in all, whatever the number of messages.
    expect(added.map((r) => r.kind).sort()).toEqual(['pairing.requested', 'sender.flooded', 'sender.flooded', 'sender.refused', 'sender.refused', 'sender.refused']);
    const flooded = added.filter((r) => r.kind === 'sender.flooded');
    expect(flooded[1]!.detail).toMatchObject({ repeats: 1_000 - 10 - 1 });
    expect(JSON.stringify(added)).not.toContain('let me in');
  });

  it('1,000 webhook posts with a wrong secret and 1,000 admin calls with a wrong token add 4 audit records', async () => {
    fake = await startFakeTelegram();
    const h = await start([telegramAdapterFor(fake, { webhook: { url: 'https://hearth.example/telegram/webhook', secret: SECRET } })], { access: { adminToken: ADMIN_TOKEN } });
    const before = await count(h, 'audit_events');
    const statuses = new Map<number, number>();
    const tally = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    for (let i = 0; i < 1_000; i++) {
      const webhook = await h.request('/telegram/webhook', { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': `guess-${i}` }, body: '{"update_id":1}' });
      tally(webhook.status);
      const admin = await h.request('/admin/people', { headers: { authorization: `Bearer guess-${i}` } });
      tally(admin.status);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 1_010, 429: 990 });
    expect((await count(h, 'audit_events')) - before).toBe(2);
    await h.idle();
    const config = { adapters: [createTestAdapter()], owner: 'test:owner-1', ...(driver === 'postgres' ? { databaseUrl: database!.databaseUrl } : { dataDir: database!.dataDir }) };
    await h.stop();
    hearth = await startHearth(config);
    const added = (await hearth.audit()).slice(before);
    const repeats = (r: (typeof added)[number]) => [r.kind, (r.detail as { repeats?: number }).repeats];
    expect(added.slice(0, 2).map(repeats)).toEqual([
      ['webhook.rejected', undefined],
      ['admin.auth_failed', undefined],
    ]);
    // The counts are written when their window closes, here when Hearth stopped.
    expect(added.slice(2).map(repeats).sort()).toEqual([
      ['admin.auth_failed', 999],
      ['webhook.rejected', 999],
    ]);
  });
});
