/**
 * Writing and recalling memories end to end, on both databases: what the model is shown (the
 * prompt the Ollama stand-in receives) after /remember or the remember tool, across a restart,
 * and when only full-text search can find a memory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDriver } from '../helpers/drivers.ts';
import type { Hearth } from '../helpers/harness.ts';
import { hashedEmbedding } from '../fakes/ollama.ts';
import { nearestMemoryIds } from '../../src/memory/recall.ts';
import { OLIVE, dm, lastPromptContext, memoryRows, ownerId, say, start, turnRequests, type MemoryTestContext } from './setup.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';

describeEachDriver('memory recall on %s', (driver) => {
  const t = {} as MemoryTestContext;
  let hearth: Hearth | undefined;

  beforeEach(async () => {
    Object.assign(t, await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama: t.ollama, database: t.database });
    hearth = undefined;
  });

  it('remembers with /remember and recalls it in a later conversation after a restart', async () => {
    hearth = await start(t);
    const reply = await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember Olive is allergic to peanuts' });
    expect(reply).toMatch(/I'll remember that only for you \(#\d+\)/);
    expect(t.ollama.chatRequests).toHaveLength(0);
    await hearth.stop();

    hearth = await start(t);
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'Can you suggest a snack with peanuts for me?' });
    const prompt = lastPromptContext(t.ollama);
    expect(prompt).toContain('What you remember');
    expect(prompt).toContain('(Olive, private) Olive is allergic to peanuts');
  });

  it('stores what the model saves with the remember tool under the sender, with its source message', async () => {
    hearth = await start(t);
    t.ollama.reply({ toolCalls: [{ name: 'remember', arguments: { text: "Olive's favourite colour is green" } }] }, 'Noted!');
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'Please remember my favourite colour is green' });
    const toolResult = turnRequests(t.ollama)[1]!.messages.find((m) => m.role === 'tool');
    expect(toolResult?.content).toMatch(/I'll remember that only for you/);
    const [row] = await memoryRows(hearth);
    expect(row).toMatchObject({ text: "Olive's favourite colour is green", scope: 'person', person_id: await ownerId(hearth), embedding_model: 'nomic-embed-text:latest', embedding_dims: 768 });
    expect(row!.source_journal_id).toBeGreaterThan(0);
    // The tool call is audited, but not the memory's text: /forget must leave no copy behind.
    const audited = (await hearth.audit()).filter((a) => a.kind === 'tool.called' && a.subject === 'remember');
    expect(audited).toHaveLength(1);
    expect(JSON.stringify(audited)).not.toContain('green');

    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'Which colour should I paint the door?' });
    expect(lastPromptContext(t.ollama)).toContain("Olive's favourite colour is green");
  });

  it.each([
    ['an empty text', '   ', /nothing to remember/],
    ['an oversized text', 'x'.repeat(1_200), /too long to remember \(1200 characters; the limit is 1000\)/],
    ['a password', 'The wifi password is hunter2hunter2', /contains a password.*never store secrets/],
    ['a card number', 'My card is 4111 1111 1111 1111', /payment card number/],
  ])('tells the model clearly when it tries to remember %s, and stores nothing', async (_what, text, error) => {
    hearth = await start(t);
    t.ollama.reply({ toolCalls: [{ name: 'remember', arguments: { text } }] }, 'Sorry, I could not save that.');
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'remember this' });
    const toolResult = turnRequests(t.ollama)[1]!.messages.find((m) => m.role === 'tool');
    expect(toolResult?.content).toMatch(error);
    expect(await memoryRows(hearth)).toEqual([]);
    const called = (await hearth.audit()).filter((a) => a.kind === 'tool.called' && a.subject === 'remember');
    expect(called).toHaveLength(1);
  });

  it('answers /remember with the same clear errors', async () => {
    hearth = await start(t);
    expect(await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember' })).toMatch(/Tell me what to remember/);
    expect(await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: `/remember ${'y'.repeat(1_001)}` })).toMatch(/too long to remember/);
    expect(await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember my api key is sk-abcdefghijklmnopqrstuvwxyz123456' })).toMatch(/never store secrets/);
    expect(await memoryRows(hearth)).toEqual([]);
    expect(await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember I prefer tea to coffee' })).toMatch(/#\d+/);
    expect(await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember I prefer tea to coffee' })).toMatch(/already remember that/);
    expect(await memoryRows(hearth)).toHaveLength(1);
  });

  it('finds an exact name by full-text search when vector search ranks it low', async () => {
    // The stand-in's embeddings are crafted: the question about Zebediah points one way, 30
    // unrelated memories point almost the same way, and the memory naming him points elsewhere.
    const axis = (i: number) => Array.from({ length: 768 }, (_, j) => (j === i ? 1 : 0));
    const near = (text: string) => {
      const noise = hashedEmbedding(text);
      return axis(1).map((v, j) => v + 0.05 * noise[j]!);
    };
    t.ollama.embed = (text) => (text.includes('Zebediah loves') ? axis(7) : text.startsWith('Note') ? near(text) : text.includes('Zebediah') ? axis(1) : hashedEmbedding(text));
    hearth = await start(t);
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember household: Zebediah loves sailing on the lake' });
    for (let i = 0; i < 30; i++) await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: `/remember household: Note ${i} about gardening chores and compost` });
    const target = (await memoryRows(hearth)).find((m) => m.text.startsWith('Zebediah'))!;

    // Vector search alone does not find it among the nearest memories …
    const viewer = { personId: await ownerId(hearth), role: 'owner' as const, roomKey: 'test:dm-olive', direct: true };
    const nearest = await nearestMemoryIds(hearth.hearth.database, { viewer, vector: { space: { model: 'nomic-embed-text:latest', dims: 768 }, values: axis(1) }, limit: 24 });
    expect(nearest).toHaveLength(24);
    expect(nearest).not.toContain(target.id);

    // … but the hybrid recall does, through the name.
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'What does Zebediah like to do?' });
    expect(lastPromptContext(t.ollama)).toContain('Zebediah loves sailing on the lake');
  });

  it('keeps recalled memories within the character budget', async () => {
    hearth = await start(t, { memory: { recallChars: 300 } });
    for (let i = 0; i < 10; i++) await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: `/remember household: Fact number ${i} about the garden shed, which is painted blue and has a squeaky door` });
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'Tell me about the garden shed' });
    const block = lastPromptContext(t.ollama).slice(lastPromptContext(t.ollama).indexOf('What you remember'));
    expect(block.length).toBeLessThanOrEqual(300);
    expect(block).toContain('garden shed');
  });
});
