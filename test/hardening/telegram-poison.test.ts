/**
 * Input PostgreSQL or the reader would refuse, sent to a whole Hearth through Telegram (polling
 * and webhook): none of it holds back the next message, what cannot be read is set aside and
 * shows in /metrics and `hearth doctor`.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Chat, User } from 'grammy/types';
import { describeEachDriver } from '../helpers/drivers.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { eventually, household, telegramAdapterFor } from '../fakes/telegram-fixture.ts';
import { runChecks } from '../../src/doctor.ts';

const SECRET = 'poison-webhook-secret-0123456789';

describeEachDriver('Telegram input that would stall a platform, on %s', (driver) => {
  let fake: FakeTelegram;
  let ollama: FakeOllama;
  let database: TestDatabase;
  let hearth: Hearth | undefined;

  beforeEach(async () => {
    [fake, ollama, database] = await Promise.all([startFakeTelegram(), startFakeOllama(), createTestDatabase(driver)]);
  });
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await Promise.all([fake.close(), ollama.close()]);
    await database.drop();
  });

  for (const mode of ['polling', 'webhook'] as const) {
    it(`${mode}: NUL, a lone surrogate, a number as text and a malformed update are each followed by an answered message`, async () => {
      const { alice, aliceDm } = household(fake);
      const adapter = telegramAdapterFor(fake, mode === 'webhook' ? { webhook: { url: 'https://hearth.example/telegram/webhook', secret: SECRET } } : {});
      const h = (hearth = await startHearth({ adapters: [adapter], owner: 'telegram:1001', ollama, ...(driver === 'postgres' ? { databaseUrl: database.databaseUrl } : { dataDir: database.dataDir }) }));
      let nextId = 100;
      let updateId = 5_000;
      const deliver = async (fields: Record<string, unknown>, from: User = alice, chat: Chat = aliceDm) => {
        const update = { update_id: updateId++, message: { message_id: nextId++, date: Math.floor(Date.now() / 1000), chat, from, ...fields } };
        if (mode === 'polling') return void fake.pushUpdate(update);
        const response = await h.request('/telegram/webhook', { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(update) });
        // Telegram redelivers anything but a 2xx: a poison update must be acknowledged once recorded.
        expect(response.status).toBe(200);
      };
      const answered = (text: string) => eventually(() => fake.botMessages(aliceDm.id).find((m) => m.text.includes(text)), `the answer to "${text}"`);

      await deliver({ text: 'tea\u0000time?' });
      await answered('teatime?');
      await deliver({ text: 'abc\ud800def' });
      await answered('abc\ufffddef');
      await deliver({ text: 42 });
      await deliver({ text: 'after the number' });
      await answered('after the number');
      await deliver({ text: 'a date that is no date', date: 'yesterday' });
      await deliver({ text: 'after the broken date' });
      await answered('after the broken date');
      await h.idle();

      // Nothing the person wrote was answered twice, and nothing else was answered at all.
      expect(fake.botMessages(aliceDm.id).map((m) => m.text)).toEqual([
        expect.stringContaining('teatime?'),
        expect.stringContaining('abc\ufffddef'),
        expect.stringContaining('after the number'),
        expect.stringContaining('after the broken date'),
      ]);
      const metrics = await (await h.request('/metrics')).text();
      expect(metrics).toMatch(/hearth_poison_events_total\{platform="telegram"\} 2/);
      if (mode === 'polling') expect(fake.pendingUpdates()).toEqual([]);

      const config = h.hearth.config;
      await h.stop();
      hearth = undefined;
      const doctor = (await runChecks(config)).find((check) => check.name === 'set-aside events');
      expect(doctor).toMatchObject({ ok: false, warning: true, detail: expect.stringMatching(/^2 event\(s\) could not be read/) });
      expect(doctor!.detail).toContain('telegram update:');
      expect(doctor!.detail).toMatch(/Invalid time value|sentAt|text/);
    });
  }
});
