/**
 * A single non-streamed /api/chat call for Hearth's own housekeeping (summaries, fact
 * extraction): short prompts, no tools, a hard timeout, low temperature.
 */
import { Ollama } from 'ollama';
import { OllamaPool } from '../agent/pool.ts';

export interface OneShotOptions {
  /** One server, or the pool of a running Hearth (housekeeping shares the chat slots). */
  host: string | OllamaPool;
  model: string;
  contextTokens: number;
  keepAlive?: string;
  timeoutMs: number;
}

export type OneShotChat = ((messages: Array<{ role: 'system' | 'user'; content: string }>) => Promise<string>) & { model: string };

export function createOneShotChat(options: OneShotOptions): OneShotChat {
  const pool = typeof options.host === 'string' ? new OllamaPool([{ url: options.host, concurrency: 64, chat: true, embed: false }]) : options.host;
  const call = async (messages: Array<{ role: 'system' | 'user'; content: string }>) => {
    const response = await pool.use(
      'chat',
      options.model,
      (host) => {
        const client = new Ollama({ host, fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(options.timeoutMs) }) });
        return client.chat({ model: options.model, messages, stream: false, keep_alive: options.keepAlive, options: { num_ctx: options.contextTokens, temperature: 0.2 } });
      },
      { verdict: (error) => ((error as { status_code?: number }).status_code === 404 ? 'model-missing' : 'server') },
    );
    return response.message?.content?.trim() ?? '';
  };
  return Object.assign(call, { model: options.model });
}
