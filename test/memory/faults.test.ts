/**
 * When the embedding service is down, people notice nothing but a note: turns are answered
 * (recall falls back to full-text), memories are saved with their embedding pending, the failure
 * is logged and counted, and the background job embeds them once Ollama answers again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDriver } from '../helpers/drivers.ts';
import type { Hearth } from '../helpers/harness.ts';
import { APOLOGY } from '../../src/pipeline/stages/agent.ts';
import { OLIVE, dm, lastPromptContext, memoryRows, say, start, until, type MemoryTestContext } from './setup.ts';
import { closeScenario, openScenario } from '../helpers/scenario.ts';

describeEachDriver('memory faults on %s', (driver) => {
  const t = {} as MemoryTestContext;
  let hearth: Hearth | undefined;

  beforeEach(async () => {
    Object.assign(t, await openScenario(driver));
  });
  afterEach(async () => {
    await closeScenario({ hearth, ollama: t.ollama, database: t.database });
    hearth = undefined;
  });

  it('answers without vector recall while embeddings fail, keeps the memory, and embeds it later', async () => {
    hearth = await start(t, { memory: { retryIntervalMs: 150 } });
    t.ollama.embedFault = { kind: 'http-error', status: 500, error: 'embedding runner crashed' };

    const saved = await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember I like green tea' });
    expect(saved).toMatch(/I'll remember that only for you \(#\d+\)\. My search index is offline/);
    expect(await memoryRows(hearth)).toMatchObject([{ text: 'I like green tea', embedding_model: null }]);

    const answered = await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'Which drink do I enjoy most?' });
    expect(answered).toBe('echo: Which drink do I enjoy most?');
    expect(answered).not.toBe(APOLOGY);
    expect(lastPromptContext(t.ollama)).not.toContain('green tea'); // no vector, no shared word
    expect(hearth.logs.join('')).toContain('recall without embeddings');
    const metrics = await (await hearth.request('/metrics')).text();
    expect(metrics).toMatch(/hearth_embedding_failures_total\{operation="recall"\} [1-9]/);
    expect(metrics).toMatch(/hearth_embedding_failures_total\{operation="write"\} 1/);

    // Full-text recall still works for a shared word.
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'Should I have green or black tea?' });
    expect(lastPromptContext(t.ollama)).toContain('I like green tea');

    t.ollama.embedFault = undefined;
    await until(async () => (await memoryRows(hearth!))[0]!.embedding_model !== null, 'the pending memory to be embedded');
    expect((await memoryRows(hearth))[0]).toMatchObject({ embedding_model: 'nomic-embed-text:latest', embedding_dims: 768 });
    expect(hearth.logs.join('')).toContain('embedded memories that were saved while the embedding service was down');

    await new Promise((r) => setTimeout(r, 50));
    // Asked in a new conversation: in this one the memory is still in an earlier note, so it is not repeated.
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive-again'), text: 'Which drink do I enjoy most?' });
    expect(lastPromptContext(t.ollama)).toContain('I like green tea');
  });

  it('embeds pending memories after a restart when Hearth was stopped before Ollama came back', async () => {
    t.ollama.embedFault = { kind: 'http-error', status: 503, error: 'busy' };
    hearth = await start(t);
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember household: The cat is called Biscuit' });
    await hearth.stop();
    t.ollama.embedFault = undefined;
    hearth = await start(t, { memory: { retryIntervalMs: 100 } });
    expect(hearth.logs.join('')).toContain('waiting to be embedded');
    await until(async () => (await memoryRows(hearth!))[0]!.embedding_model !== null, 'the pending memory to be embedded after restart');
  });

  it('answers when the embedding model is missing from Ollama, and says how to fix it', async () => {
    hearth = await start(t, { ollama: { embedModel: 'no-such-embedder' } });
    const answer = await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'hello there' });
    expect(answer).toBe('echo: hello there');
    expect(hearth.logs.join('')).toContain('ollama pull no-such-embedder');
  });
});
