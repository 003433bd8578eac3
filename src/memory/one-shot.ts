/**
 * A single non-streamed /api/chat call for Hearth's own housekeeping (summaries, fact
 * extraction): short prompts, no tools, a hard timeout, low temperature.
 */
import { Ollama } from 'ollama';

export interface OneShotOptions {
  host: string;
  model: string;
  contextTokens: number;
  keepAlive?: string;
  timeoutMs: number;
}

export type OneShotChat = ((messages: Array<{ role: 'system' | 'user'; content: string }>) => Promise<string>) & { model: string };

export function createOneShotChat(options: OneShotOptions): OneShotChat {
  const client = new Ollama({ host: options.host, fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(options.timeoutMs) }) });
  const call = async (messages: Array<{ role: 'system' | 'user'; content: string }>) => {
    const response = await client.chat({ model: options.model, messages, stream: false, keep_alive: options.keepAlive, options: { num_ctx: options.contextTokens, temperature: 0.2 } });
    return response.message?.content?.trim() ?? '';
  };
  return Object.assign(call, { model: options.model });
}
