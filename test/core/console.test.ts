import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleAdapter } from '../../adapters/console/index.ts';
import { runAdapterContract } from '../contract/adapter-contract.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { personText } from '../fakes/ollama.ts';

function consoleFixture() {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d: Buffer) => (printed += d.toString()));
  const adapter = createConsoleAdapter({ input, output, interactive: false });
  return { input, output, adapter, printed: () => printed };
}

runAdapterContract('console', async () => {
  const { input, adapter } = consoleFixture();
  return {
    adapter,
    injectDirectMessage: async (text) => void input.write(`${text}\n`),
    // The console has no "own messages": what Hearth prints never comes back as input.
    injectOwnMessage: async () => {},
    sent: async () => adapter.transcript.map((m) => ({ conversationId: 'terminal', messageId: m.messageId, text: m.text })),
    typingCount: async () => 0,
    teardown: async () => void input.end(),
  };
});

describe('hearth chat (console channel) end to end', () => {
  let hearth: Hearth | undefined;
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
  });

  it('answers each piped line through the pipeline, as the owner', async () => {
    const { input, adapter, printed } = consoleFixture();
    hearth = await startHearth({ adapters: [adapter] });
    hearth.ollama.reply('Hello! How can I help?', 'It is teatime.');
    input.write('hi there\n');
    input.write('what time is it?\n');
    await hearth.idle();
    expect(printed()).toBe('Hello! How can I help?\nIt is teatime.\n');
    const lastPrompt = hearth.ollama.chatRequests.at(-1)!.messages;
    expect(lastPrompt.map((m) => personText(m.content))).toEqual(expect.arrayContaining(['hi there', 'Hello! How can I help?', 'what time is it?']));
  });
});
