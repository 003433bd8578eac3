/**
 * The lean, cache-friendly prompt, through scripted model turns: with more tools than
 * HEARTH_MAX_OFFERED_TOOLS the model is offered the most relevant ones and find_tools, through
 * which it reaches any other tool the sender may use; what it used stays on offer. Turn after
 * turn the system prompt and tool list stay the same, and history is trimmed in large steps, so
 * most requests begin exactly as the previous one did (what Ollama's prompt cache reuses).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeOllama, type ChatBody, type FakeOllama } from '../fakes/ollama.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { scaled } from '../helpers/time-scale.ts';
import { owner, ownerDm } from '../access/helpers.ts';
import { defineTool } from '../../src/tools/tool.ts';
import type { FeatureFactory } from '../../src/pipeline/feature.ts';

const HOUSE: Array<[string, string]> = [
  ['water_plants', 'Water the garden plants now.'],
  ['set_thermostat', 'Set the heating to a temperature.'],
  ['lights_on', 'Switch the lights on in a room.'],
  ['lock_door', 'Lock the front door.'],
  ['play_music', 'Play a song or playlist on the speakers.'],
  ['shopping_add', 'Add an item to the shopping list.'],
  ['weather_forecast', 'Tell the weather forecast for a town.'],
  ['start_vacuum', 'Start the robot vacuum cleaner.'],
  ['garage_open', 'Open the garage gate.'],
  ['feed_cat', 'Refill the automatic cat feeder.'],
  ['bin_day', 'Say which rubbish bins go out this week.'],
  ['oven_preheat', 'Preheat the kitchen oven.'],
];

function household(): { feature: FeatureFactory; ran: string[] } {
  const ran: string[] = [];
  const tools = HOUSE.map(([name, description]) =>
    defineTool({
      name,
      description,
      risk: 'read',
      parameters: z.object({ detail: z.string().optional() }),
      async run() {
        ran.push(name);
        return `${name} done`;
      },
    }),
  );
  return { feature: () => ({ name: 'household', tools }), ran };
}

const names = (request: ChatBody | undefined) => (request?.tools ?? []).map((t) => t.function.name);

describe('a lean prompt', { timeout: scaled(60_000) }, () => {
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;
  const say = async (text: string) => {
    await adapter.inject({ conversation: ownerDm, sender: owner, text });
    await hearth!.idle();
  };

  beforeEach(async () => {
    ollama = await startFakeOllama();
    adapter = createTestAdapter();
  });
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await ollama.close();
  });

  it('offers only the most relevant tools and find_tools when the sender may use many, embedding each tool description once', async () => {
    const { feature } = household();
    hearth = await startHearth({ adapters: [adapter], ollama, owner: 'test:owner-1', extraFeatures: [feature], config: { agent: { maxOfferedTools: 5 } } });
    ollama.reply('Watering.');
    await say('please water the garden plants');
    const first = names(ollama.chatRequests.at(-1));
    expect(first).toHaveLength(5);
    expect(first).toContain('water_plants');
    expect(first).toContain('find_tools');
    expect(first).not.toContain('garage_open');

    ollama.reply('Heating set.');
    await say('set the heating to 21 degrees');
    const second = ollama.chatRequests.at(-1)!;
    // The list is the conversation's, byte for byte (the prompt cache); the tool that stands out
    // for this message is named in the note, for find_tools to enable.
    expect(names(second)).toEqual(first);
    expect(JSON.stringify(second.tools)).toBe(JSON.stringify(ollama.chatRequests.at(-2)!.tools));
    expect(second.messages.at(-1)!.content).toMatch(/^\[Now: [^\n]+\]\n\[Tools that may help, not enabled yet \(call find_tools with the name first\): set_thermostat \(Set the heating to a temperature\.\)\]\n\nset the heating to 21 degrees$/);

    const embedded = ollama.embedRequests.flatMap((r) => (Array.isArray(r.input) ? r.input : [r.input]));
    expect(embedded.filter((text) => text.startsWith('water plants:'))).toHaveLength(1);
    expect(embedded.filter((text) => text.startsWith('garage open:'))).toHaveLength(1);
  });

  it('lets the model reach a tool it was not offered, and keeps that tool on offer afterwards', async () => {
    const { feature, ran } = household();
    hearth = await startHearth({ adapters: [adapter], ollama, owner: 'test:owner-1', extraFeatures: [feature], config: { agent: { maxOfferedTools: 5 } } });
    ollama.reply(
      { toolCalls: [{ name: 'find_tools', arguments: {} }] },
      { toolCalls: [{ name: 'find_tools', arguments: { query: 'open the garage' } }] },
      { toolCalls: [{ name: 'garage_open', arguments: {} }] },
      'The garage is open.',
    );
    await say('hello, you know what to do');
    const requests = ollama.chatRequests.slice(-4);
    expect(names(requests[0])).not.toContain('garage_open');
    const results = requests.at(-1)!.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(results[0]).toMatch(/^Tools you may use .*garage_open/);
    expect(results[1]).toContain('- garage_open: Open the garage gate.');
    expect(names(requests[2])).toContain('garage_open');
    expect(ran).toEqual(['garage_open']);
    expect(adapter.sent.at(-1)!.text).toBe('The garage is open.');
    expect((await hearth.audit()).filter((a) => a.kind === 'tool.called').map((a) => a.subject)).toEqual(['find_tools', 'find_tools', 'garage_open']);

    ollama.reply('You are welcome.');
    await say('thanks!');
    // The next turn sends the list the last step ended with, in the same order: the new tool at the end.
    const next = names(ollama.chatRequests.at(-1));
    expect(next).toEqual(names(requests[3]));
    expect(next.slice(0, names(requests[0]).length)).toEqual(names(requests[0]));
    expect(next).toContain('garage_open');
  });

  it('enables a suggested tool by name, and only that one, keeping the rest of the list as it was', async () => {
    const { feature, ran } = household();
    hearth = await startHearth({ adapters: [adapter], ollama, owner: 'test:owner-1', extraFeatures: [feature], config: { agent: { maxOfferedTools: 5 } } });
    ollama.reply('Watering.');
    await say('please water the garden plants');
    const first = names(ollama.chatRequests.at(-1));
    expect(first).not.toContain('oven_preheat');

    ollama.reply(
      { toolCalls: [{ name: 'find_tools', arguments: { query: 'oven_preheat' } }] },
      { toolCalls: [{ name: 'oven_preheat', arguments: {} }] },
      'The oven is heating.',
    );
    await say('preheat the kitchen oven please');
    const [asked, enabled] = ollama.chatRequests.slice(-3);
    expect(asked!.messages.at(-1)!.content).toContain('oven_preheat (Preheat the kitchen oven.)');
    expect(names(asked)).toEqual(first);
    expect(names(enabled)).toEqual([...first, 'oven_preheat']);
    expect(ran).toEqual(['oven_preheat']);

    // Later turns, whatever they are about, send that list unchanged.
    for (const text of ['water the plants again', 'is it bin day?', 'play some music']) {
      ollama.reply('Done.');
      await say(text);
      expect(names(ollama.chatRequests.at(-1))).toEqual([...first, 'oven_preheat']);
    }
  });

  it('keeps the system prompt byte-identical for the whole conversation, also after older turns were summarized', async () => {
    ollama.always((request) => (request.stream === false ? 'The person talked about the garden and the heating.' : 'Noted.'));
    hearth = await startHearth({ adapters: [adapter], ollama, owner: 'test:owner-1', config: { memory: { historyTokens: 200 }, agent: { maxOfferedTools: 7 } } });
    for (let i = 0; i < 10; i++) await say(`message number ${i}: ${'some words about the garden and the heating '.repeat(3)}`);
    const requests = ollama.chatRequests.filter((r) => r.stream !== false);
    expect(requests).toHaveLength(10);
    expect(new Set(requests.map((r) => r.messages[0]!.content)).size).toBe(1);
    // The summary was made and rides as the first message of the history it stands for.
    expect(ollama.chatRequests.some((r) => r.stream === false)).toBe(true);
    expect(requests.at(-1)!.messages[1]!.content).toBe('[Summary of the earlier conversation (older messages are not shown):\nThe person talked about the garden and the heating.]');
  });

  it('keeps the system prompt and tools the same and trims history in large steps, so most requests start as the previous one did', async () => {
    hearth = await startHearth({ adapters: [adapter], ollama, owner: 'test:owner-1', config: { memory: { summaries: false }, ollama: { contextTokens: 512 }, agent: { maxOfferedTools: 7 } } });
    const turns = 24;
    for (let i = 0; i < turns; i++) await say(`message number ${i}: ${'some words about the day '.repeat(2)}`);
    const requests = ollama.chatRequests.slice(-turns);
    const systems = new Set(requests.map((r) => r.messages[0]!.content));
    expect(systems.size).toBe(1);
    expect(new Set(requests.map((r) => names(r).join())).size).toBe(1);

    // A request that does not start as the previous one did is a trim: few of them, each a large step.
    const trims: number[] = [];
    for (let i = 1; i < requests.length; i++) {
      const before = requests[i - 1]!.messages.slice(0, -1);
      const now = requests[i]!.messages;
      if (JSON.stringify(now.slice(0, before.length)) !== JSON.stringify(before)) trims.push(requests[i - 1]!.messages.length - now.length);
    }
    expect(trims.length).toBeGreaterThanOrEqual(2); // the history outgrew its budget more than once
    expect(trims.length).toBeLessThanOrEqual(Math.ceil((turns - 1) / 3));
    for (const dropped of trims) expect(dropped).toBeGreaterThanOrEqual(4);
  });

  it('repeats each earlier message exactly as it was sent, note and recalled memories included, so every request begins with the previous one, and recalls nothing twice', async () => {
    hearth = await startHearth({ adapters: [adapter], ollama, owner: 'test:owner-1', config: { agent: { maxOfferedTools: 7 } } });
    await say('/remember The spare key is with the neighbour.');
    const start = ollama.chatRequests.length;
    for (const text of ['where is the spare key?', 'and who has it?', 'thanks, what time is it?']) {
      ollama.reply(`answer to ${text}`);
      await say(text);
    }
    const requests = ollama.chatRequests.slice(start).filter((r) => r.tools?.length);
    expect(requests).toHaveLength(3);
    expect(requests[0]!.messages.at(-1)!.content).toMatch(/^\[Now: [^\n]+\]\n\[[^]*spare key is with the neighbour[^]*\]\n\nwhere is the spare key\?$/);
    // Recalled again for the next questions, the memory is not repeated: the earlier note still shows it.
    for (const request of requests.slice(1)) expect(request.messages.at(-1)!.content).not.toContain('spare key');
    for (let i = 1; i < requests.length; i++) {
      const previous = requests[i - 1]!.messages;
      const next = requests[i]!.messages;
      expect(next.slice(0, previous.length)).toEqual(previous);
      expect(next[previous.length]).toMatchObject({ role: 'assistant', content: `answer to ${['where is the spare key?', 'and who has it?'][i - 1]}` });
    }
  });
});
