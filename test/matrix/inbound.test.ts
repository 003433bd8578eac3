/** What reaches the pipeline from Matrix rooms: DMs vs groups, addressing, threads, what is skipped. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter, InboundMessage } from '../../src/core/index.ts';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { caughtUp, eventually, fakeHomeserver, FRIEND, matrixAdapter, matrixContext, OWNER } from '../fakes/matrix-fixture.ts';

describe('matrix inbound', () => {
  let fake: FakeMatrix;
  let adapter: Adapter;
  let ctx: ReturnType<typeof matrixContext>;
  let dm: string;
  let group: string;

  beforeEach(async () => {
    fake = await fakeHomeserver();
    dm = fake.createRoom({ members: [OWNER] });
    group = fake.createRoom({ members: [OWNER, FRIEND], name: 'Kitchen' });
    adapter = matrixAdapter(fake);
    ctx = matrixContext();
    await adapter.start(ctx.context);
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
  });

  const arrived = (eventId: string) =>
    eventually(() => ctx.context.received.find((m) => m.eventId === eventId), `event ${eventId} in the pipeline`);

  it('tells DMs (two members, or m.direct) from group rooms and names the sender', async () => {
    const inDm = await arrived(fake.text(dm, OWNER, 'hi there'));
    expect(inDm.conversation).toMatchObject({ id: dm, kind: 'direct' });
    expect(inDm.sender).toEqual({ accountId: OWNER, displayName: 'Olivia' });
    expect(inDm.mentionsBot).toBe(false);

    const inGroup = await arrived(fake.text(group, FRIEND, 'anyone up for tea?'));
    expect(inGroup.conversation).toMatchObject({ id: group, kind: 'group', title: 'Kitchen' });
    expect(inGroup.mentionsBot).toBe(false);

    const listed = fake.createRoom({ members: [OWNER, FRIEND] });
    fake.setDirect({ [OWNER]: [listed] });
    const inListed = await arrived(fake.text(listed, OWNER, 'a DM with a guest in it'));
    expect(inListed.conversation.kind).toBe('direct');
  });

  it('sees the bot addressed by m.mentions, by a pill, by its name in the body, and strips the mention', async () => {
    const byMentions = await arrived(
      fake.text(group, OWNER, 'Hearth: what is for dinner?', { 'm.mentions': { user_ids: [fake.botUserId] } }),
    );
    expect(byMentions.mentionsBot).toBe(true);
    expect(byMentions.text).toBe('what is for dinner?');

    const byPill = await arrived(
      fake.text(group, FRIEND, 'Hearth: lights off please', {
        format: 'org.matrix.custom.html',
        formatted_body: `<a href="https://matrix.to/#/${encodeURIComponent(fake.botUserId)}">Hearth</a>: lights off please`,
        'm.mentions': {},
      }),
    );
    expect(byPill.mentionsBot).toBe(true);
    expect(byPill.text).toBe('lights off please');

    const legacyName = await arrived(fake.text(group, FRIEND, 'hearth, remind me at 5'));
    expect(legacyName.mentionsBot).toBe(true);
    expect(legacyName.text).toBe('remind me at 5');

    const legacyId = await arrived(fake.text(group, FRIEND, `${fake.botUserId} status?`));
    expect(legacyId.mentionsBot).toBe(true);
    expect(legacyId.text).toBe('status?');

    // A client with intentional mentions that did not mention the bot: its name in prose is not a call.
    const prose = await arrived(fake.text(group, OWNER, 'the hearth is warm tonight', { 'm.mentions': { user_ids: [FRIEND] } }));
    expect(prose.mentionsBot).toBe(false);
  });

  it('treats a reply to the bot as addressing it, and a reply to someone else as not', async () => {
    const question = await arrived(fake.text(group, OWNER, 'Hearth: hello', { 'm.mentions': { user_ids: [fake.botUserId] } }));
    const answer = await adapter.send({ conversation: question.conversation, text: 'Hello Olivia!', replyToMessageId: question.messageId });

    const reply = await arrived(
      fake.text(group, FRIEND, '> <@hearth:hearth.test> Hello Olivia!\n\nand me?', { 'm.relates_to': { 'm.in_reply_to': { event_id: answer.messageId } } }),
    );
    expect(reply.mentionsBot).toBe(true);
    expect(reply.replyTo).toEqual({ messageId: answer.messageId, toBot: true });
    expect(reply.text).toBe('and me?');

    const other = await arrived(fake.text(group, FRIEND, 'I agree', { 'm.relates_to': { 'm.in_reply_to': { event_id: question.messageId } } }));
    expect(other.mentionsBot).toBe(false);
    expect(other.replyTo).toEqual({ messageId: question.messageId, toBot: false });
  });

  it('recognises replies to bot events it has not seen in this process by asking the homeserver', async () => {
    await adapter.stop();
    const oldAnswer = fake.text(group, fake.botUserId, 'an answer from before Hearth was set up');
    adapter = matrixAdapter(fake);
    ctx = matrixContext(); // a first start: the old answer is backlog, never seen live
    await adapter.start(ctx.context);
    const reply = await arrived(fake.text(group, OWNER, 'about that', { 'm.relates_to': { 'm.in_reply_to': { event_id: oldAnswer } } }));
    expect(reply.replyTo).toEqual({ messageId: oldAnswer, toBot: true });
    expect(fake.callsTo('GET', /^\/rooms\/[^/]+\/event\//).length).toBeGreaterThan(0);
  });

  it('puts thread messages in a conversation with the thread root as threadId', async () => {
    const root = fake.text(group, OWNER, 'planning the weekend');
    const inThread = await arrived(
      fake.text(group, FRIEND, 'Hearth: weather on Saturday?', {
        'm.mentions': { user_ids: [fake.botUserId] },
        'm.relates_to': { rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: root } },
      }),
    );
    expect(inThread.conversation).toMatchObject({ id: group, kind: 'group', threadId: root });
    expect(inThread.mentionsBot).toBe(true);
    expect(inThread.replyTo).toBeUndefined(); // a falling-back reply to a person is no reply
  });

  it('skips its own events, notices from bots, redactions, state events and edits; keeps files as metadata', async () => {
    fake.text(dm, fake.botUserId, 'my own words');
    fake.event(dm, '@otherbot:hearth.test', { msgtype: 'm.notice', body: 'build passed' });
    const target = fake.text(dm, OWNER, 'typo mesage');
    fake.event(dm, OWNER, { body: '* typo message', msgtype: 'm.text', 'm.new_content': { msgtype: 'm.text', body: 'typo message' }, 'm.relates_to': { rel_type: 'm.replace', event_id: target } });
    fake.event(dm, OWNER, { reason: 'oops' }, 'm.room.redaction', { redacts: target } as never);
    fake.event(dm, OWNER, { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: '👍' } }, 'm.reaction');
    fake.store.append(dm, { type: 'm.room.topic', sender: OWNER, state_key: '', content: { topic: 'our DM' } });
    const image = await arrived(
      fake.event(dm, OWNER, { msgtype: 'm.image', body: 'cat.jpg', url: 'mxc://hearth.test/cat', info: { mimetype: 'image/jpeg', size: 12345 } }),
    );
    expect(image.attachments).toEqual([{ kind: 'image', ref: 'mxc://hearth.test/cat', name: 'cat.jpg', mimeType: 'image/jpeg', sizeBytes: 12345 }]);
    expect(image.text).toBe('');
    const captioned = await arrived(
      fake.event(dm, OWNER, { msgtype: 'm.file', body: 'the invoice, please file it', filename: 'invoice.pdf', url: 'mxc://hearth.test/inv', info: { mimetype: 'application/pdf' } }),
    );
    expect(captioned.text).toBe('the invoice, please file it');
    expect(captioned.attachments[0]).toMatchObject({ kind: 'file', name: 'invoice.pdf' });

    const texts = ctx.context.received.map((m: InboundMessage) => m.text);
    expect(texts).toEqual(['typo mesage', '', 'the invoice, please file it']);
  });

  it('does not hand the same event to the pipeline twice when a batch is repeated', async () => {
    await arrived(fake.text(dm, OWNER, 'once'));
    await caughtUp(fake);
    expect(ctx.context.received.filter((m) => m.text === 'once')).toHaveLength(1);
  });
});
