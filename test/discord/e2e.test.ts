/**
 * Hearth end to end on Discord: the real discord.js client against the stand-in, the whole
 * pipeline (journal, identify, gate, agent over the Ollama stand-in, outbox) behind it. What a
 * family server would notice: who gets answered, where, how often, and who gets pinged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordAdapter, type DiscordAdapterOptions } from '../../adapters/discord/index.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { startFakeDiscord, type FakeDiscord, type StoredMessage } from '../fakes/discord.ts';
import { personText } from '../fakes/ollama.ts';

let fake: FakeDiscord;
let hearth: Hearth | undefined;

async function start(adapterOptions: Partial<DiscordAdapterOptions> = {}): Promise<Hearth> {
  const adapter = createDiscordAdapter({ token: fake.token, apiBase: fake.apiBase, ...adapterOptions });
  hearth = await startHearth({ adapters: [adapter], owner: `discord:${fake.world.people.alice.id}` });
  return hearth;
}

beforeEach(async () => {
  fake = await startFakeDiscord();
});

afterEach(async () => {
  await hearth?.stop();
  hearth = undefined;
  await fake.close();
});

/** Waits for the bot to have posted `count` messages in the channel. */
function answers(channelId: string, count = 1): Promise<StoredMessage[]> {
  return fake.waitFor(() => {
    const sent = fake.botMessages(channelId);
    return sent.length >= count ? sent : undefined;
  }, `${count} answer(s) in channel ${channelId}`, 15_000);
}

/**
 * Messages that must stay unanswered leave nothing to wait for; a DM from Alice sent after them
 * is journaled after them (the adapter hands messages over in order), so once it is answered
 * and Hearth is idle, the earlier ones have been decided too.
 */
async function settle(h: Hearth): Promise<void> {
  const token = `sentinel ${++sentinels}`;
  const dm = fake.dmChannel(fake.world.people.alice);
  fake.inject({ from: fake.world.people.alice, in: 'dm', content: token });
  await fake.waitFor(() => fake.botMessages(dm.id).some((m) => m.content === `echo: ${token}`), `the answer to "${token}"`, 15_000);
  await h.idle();
}
let sentinels = 0;

describe('Hearth on Discord', () => {
  it('answers a channel mention with a reply that references the message', async () => {
    const h = await start();
    const { general } = fake.world.channels;
    const question = fake.inject({ from: fake.world.people.alice, in: general, content: `<@${fake.world.bot.id}> what is for dinner?` });
    const [answer] = await answers(general.id);
    // The model sees the question without the mention markup (group lines carry the speaker's name).
    expect(answer!.content).toMatch(/^echo: (Mum: )?what is for dinner\?$/);
    expect(answer!.reference?.messageId).toBe(question.id);
    await h.idle();
    expect(h.ollama.chatRequests).toHaveLength(1);
  });

  it('stays silent in a channel when not addressed', async () => {
    const h = await start();
    fake.inject({ from: fake.world.people.alice, in: fake.world.channels.general, content: 'just chatting with the family' });
    await settle(h);
    expect(fake.botMessages(fake.world.channels.general.id)).toEqual([]);
    expect(h.ollama.chatRequests.map((r) => personText(r.messages.at(-1)?.content ?? ''))).toEqual([expect.stringMatching(/^sentinel/)]);
  });

  it('answers a reply to one of its messages, without a mention', async () => {
    await start();
    const { general } = fake.world.channels;
    fake.inject({ from: fake.world.people.alice, in: general, content: `<@${fake.world.bot.id}> hello` });
    const [first] = await answers(general.id);
    const followUp = fake.inject({ from: fake.world.people.alice, in: general, content: 'and tomorrow?', replyTo: first!.id });
    const [, second] = await answers(general.id, 2);
    expect(second!.content).toMatch(/^echo: (Mum: )?and tomorrow\?$/);
    expect(second!.reference?.messageId).toBe(followUp.id);
  });

  it('answers inside the thread it was asked in', async () => {
    await start();
    const { thread, general } = fake.world.channels;
    fake.inject({ from: fake.world.people.alice, in: thread, content: `<@${fake.world.bot.id}> beach or mountains?` });
    const [answer] = await answers(thread.id);
    expect(answer!.content).toMatch(/^echo: (Mum: )?beach or mountains\?$/);
    expect(fake.botMessages(general.id)).toEqual([]);
  });

  it('answers a direct message', async () => {
    await start();
    fake.inject({ from: fake.world.people.alice, in: 'dm', content: 'good morning' });
    const [answer] = await answers(fake.dmChannel(fake.world.people.alice).id);
    expect(answer!.content).toBe('echo: good morning');
  });

  it('splits a 4,500-character answer into three messages within the 2,000 limit', async () => {
    const h = await start();
    const paragraph = 'The quick brown fox jumps over the lazy dog near the riverbank at dawn, every single day. ';
    const long = Array.from({ length: 50 }, (_, i) => `${i + 1}. ${paragraph.trim()}`).join('\n\n');
    expect(long.length).toBeGreaterThan(4_500);
    expect(long.length).toBeLessThan(4_800);
    h.ollama.reply(long);
    fake.inject({ from: fake.world.people.alice, in: 'dm', content: 'tell me a long story' });
    const dm = fake.dmChannel(fake.world.people.alice).id;
    await answers(dm, 3);
    await h.idle();
    const sent = fake.botMessages(dm);
    expect(sent).toHaveLength(3);
    for (const message of sent) expect(message.content.length).toBeLessThanOrEqual(2_000);
    expect(sent.map((m) => m.content).join('\n\n')).toBe(long);
  });

  it('never lets the model ping @everyone, @here, roles or other people', async () => {
    const h = await start();
    const { general } = fake.world.channels;
    const { people, parentsRole, botRole } = fake.world;
    h.ollama.reply(`@everyone @here <@&${parentsRole.id}> <@&${botRole.id}> <@${people.bob.id}>: dinner is ready, come down now please!`);
    fake.inject({ from: people.alice, in: general, content: `<@${fake.world.bot.id}> call everyone for dinner` });
    await answers(general.id);
    await h.idle();
    const [answer] = fake.botMessages(general.id);
    expect(answer!.content).toContain('@everyone');
    expect(answer!.pings).toEqual({ everyone: false, users: expect.not.arrayContaining([people.bob.id]), roles: [] });
    const writes = fake.requests.filter((r) => (r.method === 'POST' && r.route.endsWith('/messages')) || r.method === 'PATCH');
    expect(writes.length).toBeGreaterThan(0);
    for (const write of writes) {
      const allowed = (write.body as { allowed_mentions?: { parse?: string[]; users?: string[]; roles?: string[] } }).allowed_mentions;
      expect(allowed?.parse).toEqual([]);
      expect(allowed?.roles ?? []).toEqual([]);
      expect(allowed?.users ?? []).not.toContain(people.bob.id);
    }
  });

  it('still delivers when Discord answers 429 with retry_after', async () => {
    const h = await start();
    fake.rateLimit({ method: 'POST', route: /^\/channels\/\d+\/messages$/, retryAfter: 0.5 });
    fake.inject({ from: fake.world.people.alice, in: 'dm', content: 'are you there?' });
    const dm = fake.dmChannel(fake.world.people.alice).id;
    const [answer] = await answers(dm);
    await h.idle();
    expect(answer!.content).toBe('echo: are you there?');
    expect(fake.botMessages(dm)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.route === `/channels/${dm}/messages`).map((r) => r.status)).toEqual([429, 200]);
  });

  it('resumes after the socket is killed mid-conversation and answers a replayed message exactly once', async () => {
    // No message cache, and a gateway that replays already-seen events on RESUME: only the
    // journal's dedupe on the message id stands between a replay and a second answer.
    await fake.close();
    fake = await startFakeDiscord({ replayOverlap: 100 });
    const h = await start({ messageCacheSize: 0 });
    const dm = fake.dmChannel(fake.world.people.alice).id;
    h.ollama.reply({ content: 'one moment while I think about the first question', pieceDelayMs: 40 });
    fake.inject({ from: fake.world.people.alice, in: 'dm', content: 'first question' });
    // Kill the socket while the model is still answering.
    await fake.waitFor(() => h.ollama.chatRequests.length === 1, 'the model to start on the first question');
    fake.gateway.drop(1006);
    await fake.waitFor(() => !fake.gateway.connected, 'the socket to be gone');
    fake.inject({ from: fake.world.people.alice, in: 'dm', content: 'second question' });
    await answers(dm, 2);
    await fake.waitFor(() => fake.gateway.resumes === 1 && fake.gateway.connected, 'the session to resume');
    // Give the replayed copies time to reach the journal, then let Hearth finish.
    await settle(h);

    const texts = fake.botMessages(dm).map((m) => m.content);
    expect(texts).toHaveLength(3); // first, second, sentinel: nothing for the replayed copy
    expect(texts.filter((t) => t === 'one moment while I think about the first question')).toHaveLength(1);
    expect(texts.filter((t) => t === 'echo: second question')).toHaveLength(1);
    expect(fake.gateway.identifies).toBe(1);
    expect(h.ollama.chatRequests).toHaveLength(3);
  });

  it('ignores other bots and webhooks, even when they mention it', async () => {
    const h = await start();
    const { general } = fake.world.channels;
    fake.inject({ from: fake.world.otherBot, in: general, content: `<@${fake.world.bot.id}> beep` });
    fake.inject({ from: fake.world.people.alice, in: general, content: `<@${fake.world.bot.id}> hook`, webhook: true });
    await settle(h);
    expect(fake.botMessages(general.id)).toEqual([]);
    expect((await h.audit()).filter((e) => e.kind === 'sender.refused')).toEqual([]);
  });

  it('refuses someone it does not know, politely and on the record', async () => {
    const h = await start();
    const { bob } = fake.world.people;
    fake.inject({ from: bob, in: 'dm', content: 'hi, who are you?' });
    const [refusal] = await answers(fake.dmChannel(bob).id);
    await h.idle();
    expect(refusal!.content).toContain(`discord:${bob.id}`);
    expect(h.ollama.chatRequests).toHaveLength(0);
    expect(await h.audit()).toContainEqual(expect.objectContaining({ kind: 'sender.refused', subject: `discord:${bob.id}` }));
  });
});
