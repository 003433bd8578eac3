/**
 * The Discord adapter through the real discord.js client against the local stand-in: the shared
 * contract, what reaches the pipeline (normalization) and what reaches Discord (sending).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordAdapter } from '../../adapters/discord/index.ts';
import { PlatformRateLimitedError, PlatformRejectedError, PlatformUnreachableError, type Adapter, type InboundMessage } from '../../src/core/index.ts';
import { recordingContext, runAdapterContract } from '../contract/adapter-contract.ts';
import { startFakeDiscord, type FakeDiscord, type InjectOptions } from '../fakes/discord.ts';

runAdapterContract('discord', async () => {
  const fake = await startFakeDiscord();
  const alice = fake.world.people.alice;
  return {
    adapter: createDiscordAdapter({ token: fake.token, apiBase: fake.apiBase }),
    async injectDirectMessage(text) {
      fake.inject({ from: alice, in: 'dm', content: text });
    },
    async injectOwnMessage(text) {
      fake.inject({ from: fake.world.bot, in: fake.dmChannel(alice), content: text });
    },
    async sent() {
      return fake.botMessages().map((m) => ({ conversationId: m.channelId, messageId: m.id, text: m.content }));
    },
    async typingCount() {
      return fake.typing.length;
    },
    deduplicatesSends: true,
    teardown: () => fake.close(),
  };
});

interface Running {
  fake: FakeDiscord;
  adapter: Adapter;
  context: ReturnType<typeof recordingContext>;
  /** Inject, and wait until the pipeline has it. */
  deliver(options: InjectOptions): Promise<InboundMessage>;
}

let running: Running | undefined;

async function start(): Promise<Running> {
  const fake = await startFakeDiscord();
  const adapter = createDiscordAdapter({ token: fake.token, apiBase: fake.apiBase, maxRateLimitWaitMs: 5_000 });
  const context = recordingContext();
  await adapter.start(context);
  running = {
    fake,
    adapter,
    context,
    async deliver(options) {
      const arriving = context.waitForMessage();
      fake.inject(options);
      return arriving;
    },
  };
  return running;
}

afterEach(async () => {
  await running?.adapter.stop();
  await running?.fake.close();
  running = undefined;
});

describe('discord adapter: what reaches the pipeline', () => {
  it('reads a channel mention: bot markup stripped, other people and roles by their names', async () => {
    const { fake, deliver } = await start();
    const { bot, people, parentsRole, channels } = fake.world;
    const inbound = await deliver({ from: people.alice, in: channels.general, content: `<@${bot.id}> can <@${people.bob.id}> and <@!${people.carol.id}> ask the <@&${parentsRole.id}> in <#${channels.general.id}>?` });
    expect(inbound).toMatchObject({
      platform: 'discord',
      conversation: { id: channels.general.id, kind: 'group' },
      sender: { accountId: people.alice.id, displayName: 'Mum' },
      text: 'can @Bobby and @carol ask the @Parents in #general?',
      mentionsBot: true,
      attachments: [],
    });
    expect(inbound.eventId).toBe(inbound.messageId);
    expect(inbound.conversation.title).toContain('#general');
    expect(Number.isNaN(Date.parse(inbound.sentAt))).toBe(false);
  });

  it("treats a mention of the bot's managed role as addressing it", async () => {
    const { fake, deliver } = await start();
    const inbound = await deliver({ from: fake.world.people.bob, in: fake.world.channels.general, content: `<@&${fake.world.botRole.id}>, what is for dinner?` });
    expect(inbound.mentionsBot).toBe(true);
    expect(inbound.text).toBe('what is for dinner?');
  });

  it('passes channel chatter without a mention on, marked as not addressed (the gate decides)', async () => {
    const { fake, deliver } = await start();
    const inbound = await deliver({ from: fake.world.people.bob, in: fake.world.channels.general, content: 'anyone seen my keys? @everyone' });
    expect(inbound.mentionsBot).toBe(false);
    expect(inbound.replyTo).toBeUndefined();
    expect(inbound.text).toBe('anyone seen my keys? @everyone');
  });

  it("a reply to one of the bot's messages addresses it; a reply to someone else does not", async () => {
    const { fake, adapter, deliver } = await start();
    const { people, channels } = fake.world;
    const question = await deliver({ from: people.alice, in: channels.general, content: `<@${fake.world.bot.id}> hi` });
    const answer = await adapter.send({ conversation: question.conversation, text: 'Hello!', replyToMessageId: question.messageId, addressee: question.sender });

    const toBot = await deliver({ from: people.bob, in: channels.general, content: 'and tomorrow?', replyTo: answer.messageId });
    expect(toBot.replyTo).toEqual({ messageId: answer.messageId, toBot: true });
    expect(toBot.mentionsBot).toBe(true);
    expect(toBot.text).toBe('and tomorrow?');

    const toAlice = await deliver({ from: people.bob, in: channels.general, content: 'me too', replyTo: question.messageId });
    expect(toAlice.replyTo).toEqual({ messageId: question.messageId, toBot: false });
    expect(toAlice.mentionsBot).toBe(false);
  });

  it('a thread is its own conversation: conversation.id is the thread channel', async () => {
    const { fake, deliver } = await start();
    const { thread } = fake.world.channels;
    const inbound = await deliver({ from: fake.world.people.alice, in: thread, content: `<@${fake.world.bot.id}> where shall we go?` });
    expect(inbound.conversation).toMatchObject({ id: thread.id, kind: 'group' });
    expect(inbound.conversation.title).toContain('holiday-plans');
  });

  it('a DM is a direct conversation, addressed without a mention', async () => {
    const { fake, deliver } = await start();
    const inbound = await deliver({ from: fake.world.people.bob, in: 'dm', content: 'psst' });
    expect(inbound.conversation).toMatchObject({ id: fake.dmChannel(fake.world.people.bob).id, kind: 'direct' });
    expect(inbound.sender).toEqual({ accountId: fake.world.people.bob.id, displayName: 'Bobby' });
  });

  it('keeps attachments as metadata', async () => {
    const { fake, deliver } = await start();
    const inbound = await deliver({
      from: fake.world.people.alice,
      in: 'dm',
      content: 'look',
      attachments: [
        { filename: 'cat.png', contentType: 'image/png', size: 1234 },
        { filename: 'notes.pdf', contentType: 'application/pdf', size: 99 },
      ],
    });
    expect(inbound.attachments).toEqual([
      expect.objectContaining({ kind: 'image', name: 'cat.png', mimeType: 'image/png', sizeBytes: 1234 }),
      expect.objectContaining({ kind: 'file', name: 'notes.pdf', mimeType: 'application/pdf', sizeBytes: 99 }),
    ]);
    expect(inbound.attachments[0]!.ref).toMatch(/^https:\/\/cdn\.discordapp\.com\/attachments\//);
  });

  it('ignores other bots, webhooks, system messages and its own messages', async () => {
    const { fake, deliver, context } = await start();
    const { bot, otherBot, people, channels } = fake.world;
    fake.inject({ from: otherBot, in: channels.general, content: `<@${bot.id}> from a bot` });
    fake.inject({ from: people.alice, in: channels.general, content: `<@${bot.id}> from a webhook`, webhook: true });
    fake.inject({ from: people.carol, in: channels.general, content: `<@${bot.id}> joined`, type: 7 });
    fake.inject({ from: bot, in: channels.general, content: `<@${bot.id}> my own words` });
    const last = await deliver({ from: people.bob, in: channels.general, content: 'a person' });
    expect(last.text).toBe('a person');
    expect(context.received.map((m) => m.text)).toEqual(['a person']);
  });
});

describe('discord adapter: what reaches Discord', () => {
  it('answers with a reference to the question and pings nobody but the person answered', async () => {
    const { fake, adapter, deliver } = await start();
    const { people, parentsRole, channels } = fake.world;
    const question = await deliver({ from: people.alice, in: channels.general, content: `<@${fake.world.bot.id}> who is home?` });
    await adapter.send({
      conversation: question.conversation,
      text: `@everyone and @here, <@&${parentsRole.id}> and <@${people.bob.id}>: dinner!`,
      replyToMessageId: question.messageId,
      addressee: question.sender,
    });
    const post = fake.requests.find((r) => r.method === 'POST' && r.route === `/channels/${channels.general.id}/messages`)!;
    expect(post.authorized).toBe(true);
    expect(post.body).toMatchObject({
      message_reference: { message_id: question.messageId, fail_if_not_exists: false },
      allowed_mentions: { parse: [], users: [people.alice.id], roles: [], replied_user: true },
    });
    const [message] = fake.botMessages(channels.general.id);
    expect(message!.reference?.messageId).toBe(question.messageId);
    expect(message!.pings).toEqual({ everyone: false, users: [people.alice.id], roles: [] });
  });

  it('sends into a thread and keeps mentions locked when editing', async () => {
    const { fake, adapter } = await start();
    const conversation = { id: fake.world.channels.thread.id, kind: 'group' as const };
    const sent = await adapter.send({ conversation, text: 'thinking …' });
    await adapter.edit!(conversation, sent.messageId, `done, @everyone <@&${fake.world.parentsRole.id}>`);
    const [message] = fake.botMessages(fake.world.channels.thread.id);
    expect(message).toMatchObject({ id: sent.messageId, content: expect.stringContaining('done'), edits: 1 });
    expect(message!.pings).toEqual({ everyone: false, users: [], roles: [] });
    const patch = fake.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.body).toMatchObject({ allowed_mentions: { parse: [], users: [], roles: [] } });
  });

  it('renders markdown for Discord on the wire', async () => {
    const { fake, adapter } = await start();
    const conversation = { id: fake.dmChannel(fake.world.people.alice).id, kind: 'direct' as const };
    await adapter.send({ conversation, text: '#### Plan\n\n__Bold__ and `__init__`\n\n| a | b |\n|---|---|\n| 1 | 2 |' });
    expect(fake.botMessages()[0]!.content).toBe('**Plan**\n\n**Bold** and `__init__`\n\n```\n| a | b |\n|---|---|\n| 1 | 2 |\n```');
  });

  it('shows typing in the conversation', async () => {
    const { fake, adapter } = await start();
    await adapter.sendTyping!({ id: fake.world.channels.general.id, kind: 'group' });
    expect(fake.typing).toEqual([{ channelId: fake.world.channels.general.id }]);
  });

  it('waits out a 429 with retry_after and still delivers', async () => {
    const { fake, adapter } = await start();
    const channelId = fake.world.channels.general.id;
    fake.rateLimit({ method: 'POST', route: /^\/channels\/\d+\/messages$/, retryAfter: 0.3 });
    const sent = await adapter.send({ conversation: { id: channelId, kind: 'group' }, text: 'after the wait' });
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.route === `/channels/${channelId}/messages`);
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(fake.botMessages(channelId).map((m) => [m.id, m.content])).toEqual([[sent.messageId, 'after the wait']]);
  });

  it('hands a long rate limit back to the outbox as PlatformRateLimitedError', async () => {
    const { fake, adapter } = await start();
    fake.rateLimit({ method: 'POST', route: /^\/channels\/\d+\/messages$/, retryAfter: 30 });
    const error = await adapter.send({ conversation: { id: fake.world.channels.general.id, kind: 'group' }, text: 'later' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformRateLimitedError);
    expect((error as PlatformRateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(30_000);
    expect(fake.botMessages()).toEqual([]);
  });

  it('maps Discord refusals and outages to the core errors', async () => {
    const { fake, adapter } = await start();
    const conversation = { id: fake.world.channels.general.id, kind: 'group' as const };
    fake.failNext({ method: 'POST', route: /\/messages$/, status: 403, code: 50013, message: 'Missing Permissions' });
    const refused = await adapter.send({ conversation, text: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PlatformRejectedError);
    expect(refused).toMatchObject({ status: 403, description: expect.stringContaining('Missing Permissions') });

    // discord.js retries a 5xx three times before giving up.
    fake.failNext({ method: 'POST', route: /\/messages$/, status: 502, times: 4 });
    expect(await adapter.send({ conversation, text: 'x' }).catch((e: unknown) => e)).toBeInstanceOf(PlatformUnreachableError);

    const unknown = await adapter.send({ conversation: { id: '123456789012345678', kind: 'group' }, text: 'x' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(PlatformRejectedError);
    expect((unknown as PlatformRejectedError).status).toBe(404);
  });

  it('cannot reach a Discord that is gone: PlatformUnreachableError', async () => {
    const { fake, adapter } = await start();
    const conversation = { id: fake.dmChannel(fake.world.people.alice).id, kind: 'direct' as const };
    await fake.close();
    const error = await adapter.send({ conversation, text: 'anyone?' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnreachableError);
  });
});
