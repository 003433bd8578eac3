/**
 * The HTTP surface refuses what it should not read or cannot use: bodies over the limit get 413
 * before they are read (webhook and admin API), and ids or tool names that are too long, carry
 * control characters or name an object's built-ins get 400, never 500.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { telegramAdapterFor } from '../fakes/telegram-fixture.ts';

const ADMIN_TOKEN = 'an-admin-token-long-enough-0123456789';
const SECRET = 'limits-webhook-secret-0123456789';
const MB = 1024 * 1024;

let fake: FakeTelegram;
let hearth: Hearth;
beforeEach(async () => {
  fake = await startFakeTelegram();
  hearth = await startHearth({
    adapters: [telegramAdapterFor(fake, { webhook: { url: 'https://hearth.example/telegram/webhook', secret: SECRET } })],
    owner: 'telegram:1001',
    config: { access: { adminToken: ADMIN_TOKEN } },
  });
});
afterEach(async () => {
  await hearth.stop();
  await fake.close();
});

/** A 64 MB body made on demand, counting how much of it anyone pulled. */
function hugeBody(size = 64 * MB) {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const counter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= size) return controller.close();
      counter.pulled += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, counter };
}

const targets = {
  webhook: { path: '/telegram/webhook', headers: { 'x-telegram-bot-api-secret-token': SECRET } },
  admin: { path: '/admin/people/owner/grants', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
};

describe('HTTP body limit (1 MB by default)', () => {
  for (const [name, target] of Object.entries(targets)) {
    it(`${name}: a 64 MB body with its length declared gets 413 unread`, async () => {
      const { stream, counter } = hugeBody();
      const response = await hearth.request(target.path, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(64 * MB), ...target.headers }, body: stream, duplex: 'half' } as RequestInit);
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({ error: expect.stringContaining('HEARTH_HTTP_BODY_LIMIT_BYTES') });
      // Nothing beyond what the stream buffered up front was pulled.
      expect(counter.pulled).toBeLessThanOrEqual(128 * 1024);
    });

    it(`${name}: a 64 MB body streamed without a length is cut off at the limit`, async () => {
      const { stream, counter } = hugeBody();
      const response = await hearth.request(target.path, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: stream, duplex: 'half' } as RequestInit);
      expect(response.status).toBe(413);
      expect(counter.pulled).toBeLessThan(2 * MB);
    });
  }

  it('still takes a normal webhook update', async () => {
    const update = { update_id: 1, message: { message_id: 1, date: 1_700_000_000, chat: { id: 1001, type: 'private', first_name: 'Alice' }, from: { id: 1001, is_bot: false, first_name: 'Alice' }, text: 'hello' } };
    const response = await hearth.request('/telegram/webhook', { method: 'POST', headers: { 'content-type': 'application/json', ...targets.webhook.headers }, body: JSON.stringify(update) });
    expect(response.status).toBe(200);
  });
});

describe('admin API ids and tool names', () => {
  const admin = (path: string, init: RequestInit = {}) => hearth.request(path, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers } });

  it('answers 400 for an id with a NUL or one too long, not 500', async () => {
    const nul = await admin('/admin/people/%00');
    expect(nul.status).toBe(400);
    expect(await nul.json()).toEqual({ error: '"person" contains control characters or broken text' });
    expect((await admin(`/admin/people/${'x'.repeat(10_000)}`)).status).toBe(400);
    expect((await admin('/admin/people/nobody-like-this')).status).toBe(404);
  });

  it('refuses a grant for a 100,000-character tool name or for __proto__, and keeps the person\'s grants as they were', async () => {
    const long = await admin('/admin/people/owner/grants', { method: 'POST', body: JSON.stringify({ tool: 'a'.repeat(100_000), decision: 'allow' }) });
    expect(long.status).toBe(400);
    expect(await long.json()).toEqual({ error: '"tool" is too long (at most 500 characters)' });
    const odd = await admin('/admin/people/owner/grants', { method: 'POST', body: JSON.stringify({ tool: 'web search; drop', decision: 'allow' }) });
    expect(await odd.json()).toEqual({ error: expect.stringContaining('is not a tool name') });
    const proto = await admin('/admin/people/owner/grants', { method: 'POST', body: JSON.stringify({ tool: '__proto__', decision: 'allow' }) });
    expect(proto.status).toBe(400);
    expect(await proto.json()).toEqual({ error: '"__proto__" cannot be a tool name' });
    const revoke = await admin('/admin/people/owner/grants/__proto__', { method: 'DELETE' });
    expect(revoke.status).toBe(400);
    const fine = await admin('/admin/people/owner/grants', { method: 'POST', body: JSON.stringify({ tool: 'calculate', decision: 'deny' }) });
    expect(fine.status).toBe(200);
    const shown = await (await admin('/admin/people/owner')).json();
    expect(JSON.stringify(shown)).not.toContain('__proto__');
  });
});
