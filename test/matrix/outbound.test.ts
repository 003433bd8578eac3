/** What the bot puts into rooms: formatted replies, relations, edits, typing, size limits, rate limits. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunkMessage, PlatformRateLimitedError, PlatformUnreachableError, type Adapter, type ConversationRef } from '../../src/core/index.ts';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { fakeHomeserver, FRIEND, matrixAdapter, matrixContext, OWNER } from '../fakes/matrix-fixture.ts';

describe('matrix outbound', () => {
  let fake: FakeMatrix;
  let adapter: Adapter;
  let group: string;
  let room: ConversationRef;

  beforeEach(async () => {
    fake = await fakeHomeserver();
    group = fake.createRoom({ members: [OWNER, FRIEND], name: 'Kitchen' });
    room = { id: group, kind: 'group' };
    adapter = matrixAdapter(fake);
    await adapter.start(matrixContext().context);
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
  });

  const sends = () => fake.callsTo('PUT', /^\/rooms\/[^/]+\/send\/m\.room\.message\//);

  it('sends m.text with the markdown as body and sanitized HTML as formatted_body', async () => {
    const text = '**Dinner** at 7\n\n- pasta\n- salad\n\n<script>alert(1)</script>\n\nSee <b onclick="x()">this</b> [site](javascript:alert(1)) [docs](https://example.org) ![x](https://example.org/x.png)';
    const sent = await adapter.send({ conversation: room, text });
    const [message] = fake.botMessages(group);
    expect(message!.eventId).toBe(sent.messageId);
    expect(message!.content).toMatchObject({ msgtype: 'm.text', body: text, format: 'org.matrix.custom.html' });
    const html = message!.html!;
    expect(html).toContain('<strong>Dinner</strong>');
    expect(html).toContain('<li>pasta</li>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script');
    expect(html).toContain('See &lt;b onclick=&quot;x()&quot;&gt;this&lt;/b&gt; site');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<a href="https://example.org">docs</a>');
    expect(html).not.toContain('<img'); // only mxc:// images load in Matrix clients
    expect(message!.content['m.mentions']).toEqual({ user_ids: [] });
  });

  it('replies with m.in_reply_to and mentions only the person answered; in threads adds the thread relation', async () => {
    const question = fake.text(group, OWNER, 'Hearth: hi');
    await adapter.send({ conversation: room, text: 'hello', replyToMessageId: question, addressee: { accountId: OWNER, displayName: 'Olivia' } });
    const root = fake.text(group, FRIEND, 'thread root');
    await adapter.send({ conversation: { ...room, threadId: root }, text: 'in the thread', replyToMessageId: question });
    await adapter.send({ conversation: { ...room, threadId: root }, text: 'also in the thread' });

    const [reply, threaded, plainThreaded] = fake.botMessages(group);
    expect(reply!.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: question } });
    expect(reply!.content['m.mentions']).toEqual({ user_ids: [OWNER] });
    expect(threaded!.content['m.relates_to']).toEqual({ rel_type: 'm.thread', event_id: root, is_falling_back: false, 'm.in_reply_to': { event_id: question } });
    expect(plainThreaded!.content['m.relates_to']).toMatchObject({ rel_type: 'm.thread', event_id: root, is_falling_back: true });
  });

  it('edits with m.replace and m.new_content; the edit pings nobody', async () => {
    const sent = await adapter.send({ conversation: room, text: 'thinking…' });
    await adapter.edit!(room, sent.messageId, 'The answer is **42**.');
    const [message] = fake.botMessages(group);
    expect(message!.edits).toBe(1);
    expect(message!.text).toBe('The answer is **42**.');
    expect(message!.html).toContain('<strong>42</strong>');
    const edit = fake.store.room(group)!.events.map((e) => e.event).find((e) => (e.content['m.relates_to'] as { rel_type?: string } | undefined)?.rel_type === 'm.replace')!;
    expect(edit.content).toMatchObject({ body: '* The answer is **42**.', 'm.relates_to': { rel_type: 'm.replace', event_id: sent.messageId }, 'm.mentions': {} });
  });

  it('sends typing notifications with a timeout longer than the refresh interval, and clears them on send', async () => {
    await adapter.sendTyping!(room);
    const [typing] = fake.typingCalls();
    expect(typing!.body).toMatchObject({ typing: true });
    expect((typing!.body as { timeout: number }).timeout).toBeGreaterThan(adapter.capabilities.typingRefreshMs!);
    await adapter.send({ conversation: room, text: 'done' });
    await expect.poll(() => fake.typingCalls().some((c) => (c.body as { typing: boolean }).typing === false)).toBe(true);
  });

  it('keeps every chunk of a long answer under the 64 KiB event limit, also in the worst case', async () => {
    const limit = adapter.capabilities.maxMessageLength;
    // Quotes and angle brackets grow the most when escaped (JSON + HTML); CJK costs 3 bytes each.
    const nasty = ('"<tag>" & 漢字漢字 ').repeat(4000);
    for (const chunk of chunkMessage(nasty, limit)) {
      const sent = await adapter.send({ conversation: room, text: chunk });
      await adapter.edit!(room, sent.messageId, chunk); // an edit carries the text twice
    }
    expect(sends().every((c) => c.status === 200)).toBe(true);
    const sizes = fake.store.room(group)!.events.filter((e) => e.event.sender === fake.botUserId).map((e) => Buffer.byteLength(JSON.stringify(e.event)));
    expect(Math.max(...sizes)).toBeLessThan(65_536);
  });

  it('waits out M_LIMIT_EXCEEDED retry_after_ms and still delivers, with the same transaction id', async () => {
    fake.fail({ method: 'PUT', path: /\/send\//, status: 429, retryAfterMs: 300, times: 2 });
    const started = Date.now();
    const sent = await adapter.send({ conversation: room, text: 'eventually' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(fake.botMessages(group).map((m) => m.text)).toEqual(['eventually']);
    expect(fake.botMessages(group)[0]!.eventId).toBe(sent.messageId);
    const attempts = sends();
    expect(attempts.map((c) => c.status)).toEqual([429, 429, 200]);
    expect(new Set(attempts.map((c) => c.route.split('/').at(-1))).size).toBe(1);
  });

  it('hands a long rate limit to the outbox as PlatformRateLimitedError', async () => {
    fake.fail({ method: 'PUT', path: /\/send\//, status: 429, retryAfterMs: 120_000 });
    const error = await adapter.send({ conversation: room, text: 'later' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformRateLimitedError);
    expect((error as PlatformRateLimitedError).retryAfterMs).toBe(120_000);
  });

  it('does not post twice when a send failed after reaching the homeserver and the outbox retries', async () => {
    fake.fail({ method: 'PUT', path: /\/send\//, status: 502, times: 3 });
    const error = await adapter.send({ conversation: room, text: 'once only' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    await adapter.send({ conversation: room, text: 'once only' });
    await adapter.send({ conversation: room, text: 'once only' }); // a later, new message with the same words
    expect(fake.botMessages(group).map((m) => m.text)).toEqual(['once only', 'once only']);
    const txnIds = sends().map((c) => c.route.split('/').at(-1));
    expect(new Set(txnIds.slice(0, 4)).size).toBe(1);
    expect(txnIds[4]).not.toBe(txnIds[0]);
  });
});
