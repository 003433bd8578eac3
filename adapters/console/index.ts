/**
 * The console channel: the owner talks to Hearth in a terminal through the same pipeline as every
 * platform. Interactive on a TTY; with piped input it reads one message per line and prints each
 * reply, so it can be scripted (`echo "hi" | hearth chat`).
 */
import { randomUUID } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline';
import { handOver, PlatformRejectedError, type Adapter, type AdapterContext, type ConversationRef, type OutboundMessage, type SentMessage } from '../../src/core/index.ts';
import { normalizeConsoleLine, CONSOLE_ACCOUNT, CONSOLE_CONVERSATION, CONSOLE_PLATFORM } from './normalize.ts';
import { renderForTerminal } from './render.ts';

export interface ConsoleAdapterOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Show a prompt and echo replies with a name prefix (a person at a terminal). */
  interactive: boolean;
  agentName?: string;
  /** Called when input ends and every reply to it has been printed. */
  onDrained?: () => void;
}

export interface ConsoleAdapter extends Adapter {
  /** Messages sent, for tests and scripted use. */
  readonly transcript: Array<{ messageId: string; text: string }>;
}

export function createConsoleAdapter(options: ConsoleAdapterOptions): ConsoleAdapter {
  const session = randomUUID().slice(0, 8);
  const transcript: Array<{ messageId: string; text: string }> = [];
  let readline: Interface | undefined;
  let lineNumber = 0;
  let awaiting = 0;
  let inputEnded = false;
  const prompt = () => options.interactive && readline?.prompt();
  const maybeDrained = () => {
    if (inputEnded && awaiting === 0) options.onDrained?.();
  };

  return {
    platform: CONSOLE_PLATFORM,
    capabilities: { maxMessageLength: 100_000, markdown: 'plain', canEdit: false, hasTyping: false, hasThreads: false },
    transcript,

    async start(context: AdapterContext) {
      readline = createInterface({ input: options.input, output: options.interactive ? options.output : undefined, terminal: options.interactive });
      readline.setPrompt('you › ');
      readline.on('line', (line) => {
        if (!line.trim()) return prompt();
        lineNumber++;
        awaiting++;
        // Replies come back through send(); the line counts as answered when one arrives.
        const eventId = `${session}:${lineNumber}`;
        const unanswered = (text: string) => {
          awaiting--;
          options.output.write(text);
          maybeDrained();
        };
        handOver(context, { eventId, payload: line }, () => normalizeConsoleLine(line, eventId))
          .then((outcome) => {
            if (outcome === 'set-aside') unanswered('Hearth could not take that message in; it was set aside (see `hearth doctor`).\n');
          })
          .catch((error: unknown) => unanswered(`Could not hand that message to Hearth: ${(error as Error).message}\n`));
      });
      readline.on('close', () => {
        inputEnded = true;
        maybeDrained();
      });
      prompt();
    },

    async stop() {
      readline?.close();
    },

    async send(message: OutboundMessage): Promise<SentMessage> {
      const messageId = `${session}-out-${transcript.length + 1}`;
      transcript.push({ messageId, text: message.text });
      const text = renderForTerminal(message.text);
      options.output.write(options.interactive ? `\n${options.agentName ?? 'hearth'} › ${text}\n\n` : `${text}\n`);
      // A "still thinking" word is not the answer: the line is still waiting for one.
      if (!message.interim) awaiting = Math.max(0, awaiting - 1);
      prompt();
      maybeDrained();
      return { messageId };
    },

    /** The terminal is the only conversation, and the owner the only account. */
    async openDirect(accountId: string) {
      if (accountId !== CONSOLE_ACCOUNT) throw new PlatformRejectedError(CONSOLE_PLATFORM, `the console reaches only the owner, not "${accountId}"`);
      return CONSOLE_CONVERSATION;
    },

    health() {
      return { ok: true, detail: 'console attached' };
    },
  } satisfies ConsoleAdapter & { send(m: OutboundMessage): Promise<SentMessage> } as ConsoleAdapter;
}

export type { ConversationRef };
