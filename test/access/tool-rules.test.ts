/**
 * The one tool catalogue under the sender's permissions, end to end: grants that name a whole
 * group of tools, a tool's own default for a role, tools that appear and disappear while Hearth
 * runs, and a Hearth without the access feature, which offers no tool at all.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { TestAdapter } from '../helpers/test-adapter.ts';
import type { FakeOllama } from '../fakes/ollama.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';
import { defineTool, type ToolDefinition } from '../../src/tools/tool.ts';
import type { FeatureDependencies, FeatureFactory } from '../../src/pipeline/feature.ts';
import { OWNER, addPerson, bob, bobDm, gus, guestDm, owner, ownerDm } from './helpers.ts';

/** A "home" server's tools (one group) and a private-data reader that denies guests by itself. */
function homeFeature(): { feature: FeatureFactory; deps: () => FeatureDependencies; lights: ToolDefinition; ran: string[] } {
  const ran: string[] = [];
  let captured: FeatureDependencies | undefined;
  const lights = defineTool({ name: 'home_lights', description: 'Switch the lights.', risk: 'write', group: 'mcp:home', parameters: z.object({ on: z.boolean() }), run: async ({ on }) => (ran.push(`lights ${on}`), `lights ${on ? 'on' : 'off'}`) });
  const diary = defineTool({ name: 'diary_read', description: "Read the person's diary.", risk: 'read', defaultDecision: { guest: 'deny' }, parameters: z.object({}), run: async () => (ran.push('diary'), 'nothing today') });
  return {
    feature: (deps) => {
      captured = deps;
      return { name: 'home', tools: [diary], start: async () => deps.catalog.replace('mcp:home', [lights]) };
    },
    deps: () => captured!,
    lights,
    ran,
  };
}

const offered = (ollama: FakeOllama) => (ollama.chatRequests.at(-1)?.tools ?? []).map((t: { function: { name: string } }) => t.function.name);

describeEachDriver('tool rules on %s', (driver) => {
  let database: TestDatabase;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  beforeEach(async () => {
    ({ database, ollama, adapter } = await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama, database });
    hearth = undefined;
  });

  it('decides by group grants and a tool\'s own defaults, and follows tools that come and go', async () => {
    const home = homeFeature();
    const h = (hearth = await startHearth({ adapters: [adapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, extraFeatures: [home.feature] }));
    await addPerson(h, 'Bob', 'member', { accountId: bob.accountId });
    await addPerson(h, 'Gus', 'guest', { accountId: gus.accountId });

    // A member is offered the group's tool and the diary; a guest gets neither (write is denied to
    // guests by role, the diary by its own default although guests may read).
    await adapter.inject({ conversation: bobDm, sender: bob, text: 'hello' });
    await h.idle();
    expect(offered(ollama)).toEqual(expect.arrayContaining(['home_lights', 'diary_read']));
    await adapter.inject({ conversation: guestDm, sender: gus, text: 'hello' });
    await h.idle();
    expect(offered(ollama)).not.toContain('diary_read');
    expect(offered(ollama)).toContain('current_time');

    // One grant names the whole group.
    await adapter.inject({ conversation: ownerDm, sender: owner, text: '/grant Bob mcp:home:* deny' });
    await h.idle();
    expect(adapter.sent.at(-1)!.text).toMatch(/Bob: mcp:home:\* → deny/);
    ollama.reply({ toolCalls: [{ name: 'home_lights', arguments: { on: true } }] }, 'ok');
    await adapter.inject({ conversation: bobDm, sender: bob, text: 'lights on please' });
    await h.idle();
    expect(offered(ollama)).not.toContain('home_lights');
    expect(home.ran).toEqual([]);
    expect((await h.audit()).filter((a) => a.kind === 'tool.refused').map((a) => a.subject)).toContain('home_lights');

    // The server goes away: its tools are no longer offered to anyone.
    home.deps().catalog.remove('mcp:home');
    await adapter.inject({ conversation: ownerDm, sender: owner, text: 'anything new?' });
    await h.idle();
    expect(offered(ollama)).not.toContain('home_lights');
    expect(offered(ollama)).toContain('diary_read');
  });

  it('offers no tool and runs none when the sender has no permissions (no access feature)', async () => {
    const home = homeFeature();
    const h = (hearth = await startHearth({ adapters: [adapter], owner: OWNER, driver, dataDir: database.dataDir, databaseUrl: database.databaseUrl, ollama, features: [], extraFeatures: [home.feature] }));
    ollama.reply({ toolCalls: [{ name: 'diary_read', arguments: {} }] }, 'done');
    await adapter.inject({ conversation: ownerDm, sender: owner, text: 'read my diary' });
    await h.idle();
    expect(ollama.chatRequests[0]!.tools ?? []).toEqual([]);
    expect(home.ran).toEqual([]);
    expect(adapter.sent.at(-1)!.text).toBe('done');
  });
});
