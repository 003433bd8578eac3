/**
 * Automatic memory (off by default): after an answered turn the model is asked for durable facts
 * about the sender; never for guests, never from a message that looks like it holds a secret,
 * and a fact that itself looks like a secret is dropped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import type { Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { startFakeOllama, type ChatBody } from '../fakes/ollama.ts';
import { GUS, OLIVE, addPerson, dm, memoryRows, ownerId, say, start, until, type MemoryTestContext } from './setup.ts';

describeEachDriver('automatic memory on %s', (driver) => {
  const t = {} as MemoryTestContext;
  let hearth: Hearth | undefined;
  const extractionRequests: ChatBody[] = [];

  beforeEach(async () => {
    t.database = await createTestDatabase(driver);
    t.ollama = await startFakeOllama();
    t.adapter = createTestAdapter();
    extractionRequests.length = 0;
    t.ollama.always((request) => {
      if (request.stream !== false) return 'Sounds lovely!';
      extractionRequests.push(request);
      return '- Olive is going hiking in the Alps in July.\n- Olive\'s locker code is: 4455 pin 4455\n- Olive prefers window seats on trains.';
    });
  });
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await t.ollama.close();
    await t.database.drop();
  });

  it('is off unless configured', async () => {
    hearth = await start(t);
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'I am going hiking in the Alps in July!' });
    await hearth.stop(); // waits for any background work
    expect(extractionRequests).toHaveLength(0);
    hearth = await start(t);
    expect(await memoryRows(hearth)).toEqual([]);
  });

  it('keeps durable facts about a member as private memories, dropping anything that looks secret', async () => {
    hearth = await start(t, { memory: { autoExtract: true } });
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'I am going hiking in the Alps in July, and I always book a window seat on the train.' });
    await until(async () => (await memoryRows(hearth!)).length === 2, 'the extracted memories');
    expect(extractionRequests).toHaveLength(1);
    expect(extractionRequests[0]!.messages[1]!.content).toContain('Olive: I am going hiking');
    const rows = await memoryRows(hearth);
    expect(rows.map((r) => r.text)).toEqual(['Olive is going hiking in the Alps in July.', 'Olive prefers window seats on trains.']);
    expect(rows.every((r) => r.scope === 'person')).toBe(true);
    expect(rows[0]!.person_id).toBe(await ownerId(hearth));
  });

  it('never runs for guests or on a message that looks like it holds a secret', async () => {
    hearth = await start(t, { memory: { autoExtract: true } });
    await addPerson(hearth, { id: 'person-gus', name: 'Gus', role: 'guest', accountId: GUS.accountId });
    await say(hearth, t.adapter, { sender: GUS, conversation: dm('dm-gus'), text: 'I am going hiking in the Alps in July!' });
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'my password is Tr0ub4dor&3, please keep it safe' });
    await hearth.stop();
    hearth = undefined;
    expect(extractionRequests).toHaveLength(0);
  });
});
