/**
 * Patience with words: when the model has not said a word after the slow-notice time, the person
 * is told once that the answer is coming — in words that say whether Ollama is busy or gone — and
 * then gets the answer (replacing the notice where messages can be edited). The long first-token
 * timeout a CPU box needs still applies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { until } from '../helpers/eventually.ts';
import { scaled } from '../helpers/time-scale.ts';
import { SLOW_NOTICES } from '../../src/pipeline/slow-notice.ts';

describe('a model slow to say its first word', () => {
  let hearth: Hearth | undefined;
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
  });

  async function start(adapter: TestAdapter): Promise<Hearth> {
    // Notice after 0.2 s; the first-token timeout stays far beyond the model's pause.
    hearth = await startHearth({ adapters: [adapter], owner: 'test:owner-1', config: { ollama: { slowNoticeMs: 200, firstTokenTimeoutMs: scaled(30_000) }, agent: { streaming: false } } });
    return hearth;
  }
  const slowAnswer = () => ({ content: 'Here it is.', firstTokenDelayMs: scaled(2_500) });

  it('tells the person once that the busy model is still working, then answers', async () => {
    const adapter = createTestAdapter('test', { canEdit: false });
    const h = await start(adapter);
    h.ollama.running = ['qwen2.5:3b'];
    h.ollama.reply(slowAnswer());
    await adapter.inject({ text: 'summarise the week for me' });
    await until(() => adapter.sent.length >= 2, 'the notice and the answer', 30_000);
    await h.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual([SLOW_NOTICES.processing, 'Here it is.']);
    expect(h.logs.some((line) => line.includes('Ollama is up but busy processing'))).toBe(true);
  });

  it('says the model is loading when Ollama has not loaded it, and the answer replaces the notice', async () => {
    const adapter = createTestAdapter('test', { canEdit: true });
    const firstTexts: string[] = [];
    const send = adapter.send.bind(adapter);
    adapter.send = async (message) => (firstTexts.push(message.text), send(message));
    const h = await start(adapter);
    h.ollama.reply(slowAnswer());
    await adapter.inject({ text: 'good morning' });
    await until(() => adapter.sent[0]?.edits.includes('Here it is.'), 'the answer in place of the notice', 30_000);
    await h.idle();
    expect(adapter.sent).toHaveLength(1);
    expect(firstTexts).toEqual([SLOW_NOTICES.loading]);
    expect(adapter.sent[0]!.edits).toEqual(['Here it is.']);
  });

  it('says so, and warns the owner, when Ollama stopped answering', async () => {
    const adapter = createTestAdapter('test', { canEdit: false });
    const h = await start(adapter);
    h.ollama.psFault = { kind: 'http-error', status: 503, error: 'server busy' };
    h.ollama.reply(slowAnswer());
    await adapter.inject({ text: 'anyone home?' });
    await until(() => adapter.sent.length >= 2, 'the notice and the answer', 30_000);
    expect(adapter.sent.map((m) => m.text)).toEqual([SLOW_NOTICES['not-answering'], 'Here it is.']);
    expect(h.logs.some((line) => line.includes('"level":40') && line.includes('Ollama stopped answering'))).toBe(true);
  });

  it('says nothing extra when the first word comes in time', async () => {
    const adapter = createTestAdapter('test', { canEdit: false });
    const h = await start(adapter);
    h.ollama.reply('Quick answer.');
    await adapter.inject({ text: 'quick one' });
    await h.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual(['Quick answer.']);
  });
});
