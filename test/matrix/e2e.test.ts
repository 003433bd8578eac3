/**
 * Hearth end to end on Matrix: the real matrix-js-sdk against the client-server API stand-in, the
 * whole pipeline (journal, identify, gate, agent over the Ollama stand-in, outbox) behind it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MATRIX_CAPABILITIES, type MatrixAdapterOptions } from '../../adapters/matrix/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { BotMessage, FakeMatrix } from '../fakes/matrix.ts';
import { personText } from '../fakes/ollama.ts';
import { eventually, fakeHomeserver, FRIEND, matrixAdapter, OWNER, STRANGER } from '../fakes/matrix-fixture.ts';

let fake: FakeMatrix;
let hearth: Hearth | undefined;
let database: TestDatabase | undefined;

async function start(options: { adapter?: Partial<MatrixAdapterOptions>; dataDir?: string; config?: Record<string, unknown> } = {}): Promise<Hearth> {
  hearth = await startHearth({
    adapters: [matrixAdapter(fake, options.adapter)],
    owner: `matrix:${OWNER}`,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.config ? { config: options.config } : {}),
  });
  return hearth;
}

beforeEach(async () => {
  fake = await fakeHomeserver();
});
afterEach(async () => {
  await hearth?.stop();
  hearth = undefined;
  await fake.close();
  await database?.drop();
  database = undefined;
});

/** The bot's answers (not its notices) in a room, once there are `count` of them. */
function answers(roomId: string, count = 1): Promise<BotMessage[]> {
  return eventually(() => {
    const sent = fake.botMessages(roomId).filter((m) => m.content.msgtype === 'm.text');
    return sent.length >= count ? sent : undefined;
  }, `${count} answer(s) in ${roomId}`, 15_000);
}

/** A DM from the owner, answered: everything injected before it has been decided too. */
async function settle(h: Hearth, dm: string): Promise<void> {
  const before = fake.botMessages(dm).length;
  fake.text(dm, OWNER, 'sentinel');
  await answers(dm, before + 1);
  await h.idle();
}

const mention = (fakeBot: string) => ({ 'm.mentions': { user_ids: [fakeBot] } });

describe('Hearth on Matrix', () => {
  it('answers a direct message', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const h = await start();
    fake.text(dm, OWNER, 'hello there');
    const [answer] = await answers(dm);
    expect(answer!.text).toBe('echo: hello there');
    expect(answer!.html).toBe('<p>echo: hello there</p>');
    await h.idle();
    expect(h.ollama.chatRequests).toHaveLength(1);
  });

  it('stays silent in a room when not addressed', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const group = fake.createRoom({ members: [OWNER, FRIEND], name: 'Kitchen' });
    const h = await start();
    fake.text(group, OWNER, 'just chatting with the family');
    await settle(h, dm);
    expect(fake.botMessages(group)).toEqual([]);
    expect(h.ollama.chatRequests.map((r) => personText(r.messages.at(-1)?.content ?? ''))).toEqual(['sentinel']);
  });

  it('answers a mention by m.mentions and by a pill in the body, replying to each message', async () => {
    const group = fake.createRoom({ members: [OWNER, FRIEND], name: 'Kitchen' });
    await start();
    const first = fake.text(group, OWNER, 'Hearth: what is for dinner?', mention(fake.botUserId));
    const [a1] = await answers(group);
    expect(a1!.text).toMatch(/what is for dinner\?$/);
    expect(a1!.text).not.toContain('Hearth:');
    expect(a1!.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: first } });

    const second = fake.text(group, OWNER, 'Hearth: and dessert?', {
      format: 'org.matrix.custom.html',
      formatted_body: `<a href="https://matrix.to/#/${fake.botUserId}">Hearth</a>: and dessert?`,
    });
    const [, a2] = await answers(group, 2);
    expect(a2!.text).toMatch(/and dessert\?$/);
    expect(a2!.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: second } });
  });

  it('answers a reply to one of its messages, with m.relates_to pointing at the reply', async () => {
    const group = fake.createRoom({ members: [OWNER, FRIEND] });
    await start();
    fake.text(group, OWNER, 'Hearth: hello', mention(fake.botUserId));
    const [first] = await answers(group);
    const followUp = fake.text(group, OWNER, 'and tomorrow?', { 'm.relates_to': { 'm.in_reply_to': { event_id: first!.eventId } } });
    const [, second] = await answers(group, 2);
    expect(second!.text).toMatch(/and tomorrow\?$/);
    expect(second!.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: followUp } });
  });

  it('answers in the thread it was asked in', async () => {
    const group = fake.createRoom({ members: [OWNER, FRIEND] });
    await start();
    const root = fake.text(group, OWNER, 'weekend plans');
    const question = fake.text(group, OWNER, 'Hearth: weather on Saturday?', {
      ...mention(fake.botUserId),
      'm.relates_to': { rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: root } },
    });
    const [answer] = await answers(group);
    expect(answer!.text).toMatch(/weather on Saturday\?$/);
    expect(answer!.original.content['m.relates_to']).toMatchObject({ rel_type: 'm.thread', event_id: root, 'm.in_reply_to': { event_id: question } });
  });

  it('splits a long answer into formatted messages that each fit', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const h = await start();
    const paragraphs = Array.from({ length: 40 }, (_, i) => `**Part ${i + 1}.** ${'The quick brown fox jumps over the lazy dog. '.repeat(6)}`);
    h.ollama.reply(paragraphs.join('\n\n'));
    fake.text(dm, OWNER, 'tell me everything');
    const limit = MATRIX_CAPABILITIES.maxMessageLength;
    const sent = await eventually(() => {
      const all = fake.botMessages(dm);
      return all.some((m) => m.text.includes('Part 40.')) ? all : undefined;
    }, 'the last part', 15_000);
    await h.idle();
    expect(sent.length).toBeGreaterThan(1);
    for (const message of sent) {
      expect(message.text.length).toBeLessThanOrEqual(limit);
      expect(message.html).toContain('<strong>Part ');
    }
    const all = sent.map((m) => m.text).join('\n\n');
    for (let i = 1; i <= 40; i++) expect(all).toContain(`**Part ${i}.**`);
  });

  it('after a restart neither replays old messages nor misses what arrived while it was down', async () => {
    database = await createTestDatabase('pglite');
    const dm = fake.createRoom({ members: [OWNER] });
    fake.text(dm, OWNER, 'from before Hearth was set up');
    const first = await start({ dataDir: database.dataDir });
    fake.text(dm, OWNER, 'one');
    await answers(dm, 1);
    await first.idle();
    await first.stop();
    hearth = undefined;

    fake.text(dm, OWNER, 'two (sent while Hearth was down)');
    const second = await start({ dataDir: database.dataDir });
    fake.text(dm, OWNER, 'three');
    await answers(dm, 3);
    await second.idle();
    expect(fake.botMessages(dm).map((m) => m.text)).toEqual(['echo: one', 'echo: two (sent while Hearth was down)', 'echo: three']);
  });

  it('declines an invite from a stranger and joins one from the owner', async () => {
    const strangers = fake.createRoom({ members: [STRANGER], botJoined: false });
    const h = await start();
    fake.invite(strangers, STRANGER);
    const owners = fake.createRoom({ members: [OWNER], botJoined: false });
    fake.invite(owners, OWNER, { isDirect: true });
    await eventually(() => fake.membership(strangers) === 'leave' || undefined, 'the stranger\'s invite declined');
    await eventually(() => fake.membership(owners) === 'join' || undefined, 'the owner\'s invite accepted');
    fake.text(owners, OWNER, 'welcome!');
    const [answer] = await answers(owners);
    expect(answer!.text).toBe('echo: welcome!');
    const audit = await h.audit();
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'invite.declined', subject: STRANGER }));
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'invite.accepted', subject: OWNER }));
  });

  it('still delivers when the homeserver rate limits the answer', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const h = await start({ config: { agent: { streaming: false } } });
    fake.fail({ method: 'PUT', path: /\/send\//, status: 429, retryAfterMs: 200, times: 2 });
    fake.text(dm, OWNER, 'are you there?');
    const [answer] = await answers(dm);
    await h.idle();
    expect(answer!.text).toBe('echo: are you there?');
    expect(fake.botMessages(dm)).toHaveLength(1);
    expect(fake.callsTo('PUT', /\/send\//).map((c) => c.status).slice(0, 3)).toEqual([429, 429, 200]);
  });

  it('recovers from a homeserver outage without answering twice', async () => {
    const dm = fake.createRoom({ members: [OWNER] });
    const h = await start();
    fake.text(dm, OWNER, 'before the outage');
    await answers(dm, 1);
    await h.idle();
    fake.setDown('http');
    await eventually(async () => ((await h.request('/readyz')).status === 503 ? true : undefined), 'readyz to report the outage');
    fake.text(dm, OWNER, 'during the outage');
    fake.setDown(false);
    await answers(dm, 2);
    await h.idle();
    expect(fake.botMessages(dm).map((m) => m.text)).toEqual(['echo: before the outage', 'echo: during the outage']);
  });

  it('with encryption off, tells people in an encrypted room that it cannot read them, and says so in the log', async () => {
    const secret = fake.createRoom({ members: [OWNER, FRIEND], name: 'Family', encrypted: true });
    const h = await start();
    fake.encryptedMessage(secret, OWNER);
    const notice = await eventually(() => fake.botMessages(secret).find((m) => m.content.msgtype === 'm.notice'), 'the notice');
    expect(notice.text).toMatch(/can't read end-to-end encrypted messages/);
    expect(h.logs.some((line) => line.includes('end-to-end encrypted') && line.includes(secret))).toBe(true);
    const ready = (await (await h.request('/readyz')).json()) as { adapters: Array<{ platform: string; detail: string }> };
    expect(ready.adapters.find((a) => a.platform === 'matrix')?.detail).toContain('Family');
    expect(h.ollama.chatRequests).toHaveLength(0);
  });
});
