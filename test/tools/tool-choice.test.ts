/**
 * The offered tool list of a conversation, through ToolChooser: the same list turn after turn
 * whatever the message, grown only by find_tools (at the end), and chosen again in one step
 * once it outgrew twice its size, keeping the tools used lately; a schema too large for the
 * list's character budget is passed over for the next relevant tool that fits.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../src/log.ts';
import { defineTool, type ToolContext } from '../../src/tools/tool.ts';
import { ToolChooser } from '../../src/tools/selection.ts';

const NAMES = ['water_plants', 'set_thermostat', 'lights_on', 'lock_door', 'play_music', 'shopping_add', 'weather_forecast', 'start_vacuum', 'garage_open', 'feed_cat'];
const tools = NAMES.map((name) => defineTool({ name, description: `${name.replace('_', ' ')} in the house.`, risk: 'read', parameters: z.object({}), run: async () => 'ok' }));
const log = createLogger({ level: 'silent', stream: new PassThrough() });
const context = {} as ToolContext;
// No embedding model: tools are ranked by the words they share with the message.
const chooser = () => new ToolChooser({ maxOffered: 3, log });
const choose = (c: ToolChooser, text: string) => c.choose({ conversationKey: 'kitchen', text, available: tools });

describe('a conversation’s tool list', () => {
  it('stays the same whatever the message, and names a tool that stands out instead of adding it', async () => {
    const c = chooser();
    const first = await choose(c, 'water the plants please');
    expect([...first.offered]).toEqual(['find_tools', 'water_plants', expect.any(String)]);
    const second = await choose(c, 'open the garage');
    expect([...second.offered]).toEqual([...first.offered]);
    expect(second.suggested.map((t) => t.name)).toEqual(['garage_open']);
  });

  it('grows only through find_tools, at the end, and is chosen again past twice its size with the tools used lately', async () => {
    const c = chooser();
    const first = [...(await choose(c, 'water the plants please')).offered];
    const enable = async (name: string) => {
      const choice = await choose(c, `use ${name}`);
      await choice.finder!.run({ query: name }, context);
      return [...choice.offered];
    };
    expect(await enable('garage_open')).toEqual([...first, 'garage_open']);
    expect([...(await choose(c, 'anything else')).offered]).toEqual([...first, 'garage_open']);
    c.used('kitchen', ['garage_open']);
    await enable('feed_cat');
    expect([...(await choose(c, 'anything else')).offered]).toHaveLength(5); // four tools: twice the two places
    await enable('lock_door');
    // Five tools are more than twice two: the next turn starts a new list, the used tool first in mind.
    const again = [...(await choose(c, 'play some music')).offered];
    expect(again).toHaveLength(3);
    expect(again).toContain('garage_open');
    expect(again).toContain('play_music');
  });

  it('passes over a relevant tool whose schema would take the list past its character budget', async () => {
    const sprawling = defineTool({ name: 'garden_report', description: `Garden report for the plants: ${'every bed, row and pot in detail. '.repeat(3)}`, risk: 'read', parameters: z.object(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`bed_${i}`, z.string().describe('Which plants grow in this bed of the garden.')]))), run: async () => 'ok' });
    const available = [sprawling, ...tools];
    const pick = (maxOfferedChars: number) => new ToolChooser({ maxOffered: 3, maxOfferedChars, log }).choose({ conversationKey: 'garden', text: 'garden report for the plants: water the plants', available });
    // Without a budget the sprawling tool, most like the message, is offered.
    expect([...(await pick(0)).offered]).toContain('garden_report');
    // With one, the next most relevant tools take its place.
    const budgeted = [...(await pick(1_000)).offered];
    expect(budgeted).not.toContain('garden_report');
    expect(budgeted).toEqual(['find_tools', 'water_plants', expect.any(String)]);
  });
});
