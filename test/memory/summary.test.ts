/**
 * Long conversations: once the history outgrows its token budget, the older turns are folded
 * into a stored summary by a separate non-streamed model call, the model then receives the
 * summary instead of those turns, the summary is extended (not recomputed every turn), and
 * every raw message stays in the database.
 */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import type { Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { personText, startFakeOllama, type ChatBody } from '../fakes/ollama.ts';
import { OLIVE, dm, say, start, turnRequests, type MemoryTestContext } from './setup.ts';

const topic = (i: number) => `Message ${i}: we are planning the vegetable garden, bed ${i} gets tomatoes, basil and marigolds, watered every morning before work, and the compost goes on in spring.`;

describeEachDriver('conversation summaries on %s', (driver) => {
  const t = {} as MemoryTestContext;
  let hearth: Hearth | undefined;
  const summaryRequests: ChatBody[] = [];

  beforeEach(async () => {
    t.database = await createTestDatabase(driver);
    t.ollama = await startFakeOllama();
    t.adapter = createTestAdapter();
    summaryRequests.length = 0;
    t.ollama.always((request) => {
      if (request.stream !== false) return 'Noted.';
      summaryRequests.push(request);
      return `SUMMARY-${summaryRequests.length}: Olive is planning a vegetable garden with tomatoes, basil and marigolds.`;
    });
  });
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await t.ollama.close();
    await t.database.drop();
  });

  it('summarizes older turns past the budget and gives the model the summary', async () => {
    hearth = await start(t, { memory: { historyTokens: 200 } });
    for (let i = 1; i <= 10; i++) await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: topic(i) });

    const turns = turnRequests(t.ollama);
    expect(turns).toHaveLength(10);
    // Early turns carry the whole history, no summary.
    // Earlier messages repeat as they were sent: the note, then the person's words.
    expect(turns[2]!.messages.some((m) => m.role === 'user' && m.content.endsWith(`\n\n${topic(1)}`))).toBe(true);
    expect(turns[2]!.messages.map((m) => m.content).join()).not.toContain('SUMMARY');

    // The summary was made by a separate, non-streamed, short call …
    expect(summaryRequests.length).toBeGreaterThanOrEqual(2);
    expect(summaryRequests[0]!.messages[1]!.content).toContain(topic(1));
    expect(summaryRequests[0]!.tools ?? []).toEqual([]);
    // … and extended incrementally, not recomputed on every turn.
    expect(summaryRequests.length).toBeLessThan(turns.length / 2);
    expect(summaryRequests[1]!.messages[1]!.content).toContain('Previous summary:\nSUMMARY-1');
    expect(summaryRequests[1]!.messages[1]!.content).not.toContain(topic(1));

    // The last turn gets the newest summary instead of the oldest turns, within the budget.
    const last = turns.at(-1)!;
    expect(last.messages[1]!.content).toContain(`Summary of the earlier conversation (older messages are not shown):\nSUMMARY-${summaryRequests.length}`);
    const history = last.messages.slice(2, -1).map((m) => m.content);
    expect(history.some((content) => content.includes(topic(1)))).toBe(false);
    expect(history.length).toBeGreaterThan(0);
    expect(history.join('').length / 4).toBeLessThanOrEqual(200);
    expect(personText(last.messages.at(-1)!.content)).toBe(topic(10));

    // Nothing is lost: every raw message stays, and the summary step is in the log.
    const [{ n }] = (await hearth.hearth.database.rows<{ n: number }>(sql`select count(*)::int as n from messages where conversation_key = 'test:dm-olive'`)) as [{ n: number }];
    expect(Number(n)).toBe(20);
    const stored = await hearth.hearth.database.rows<{ content: string; messages_covered: number }>(sql`select content, messages_covered from conversation_summaries order by through_message_id`);
    expect(stored).toHaveLength(summaryRequests.length);
    expect(hearth.logs.join('')).toContain('older turns of this conversation were summarized');
  });

  it('keeps using the stored summary after a restart without summarizing again', async () => {
    hearth = await start(t, { memory: { historyTokens: 200 } });
    for (let i = 1; i <= 5; i++) await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: topic(i) });
    const made = summaryRequests.length;
    expect(made).toBe(1);
    await hearth.stop();
    hearth = await start(t, { memory: { historyTokens: 200 } });
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'What did we decide?' });
    expect(summaryRequests.length).toBe(made);
    expect(turnRequests(t.ollama).at(-1)!.messages[1]!.content).toContain('SUMMARY-1');
  });

  it('still answers with the newest turns when the summary call fails', async () => {
    t.ollama.always((request) => (request.stream === false ? { kind: 'http-error', status: 500, error: 'out of memory' } : 'Noted.'));
    hearth = await start(t, { memory: { historyTokens: 200 } });
    for (let i = 1; i <= 5; i++) await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: topic(i) });
    expect(t.adapter.sent.map((m) => m.text)).toEqual(Array(5).fill('Noted.'));
    const last = turnRequests(t.ollama).at(-1)!;
    expect(last.messages.slice(1, -1).join('').length / 4).toBeLessThanOrEqual(200);
    expect(hearth.logs.join('')).toContain('could not summarize older turns');
    expect(await (await hearth.request('/metrics')).text()).toMatch(/hearth_conversation_summaries_total\{outcome="failed"\} [1-9]/);
  });
});
