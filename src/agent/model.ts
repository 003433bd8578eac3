/**
 * One streamed call to Ollama's /api/chat through the official client, with the two timeouts a
 * CPU-only box needs: one for the first token (model load + prompt processing) and one for the
 * whole answer. A hung Ollama therefore ends in an error, never in "typing…" forever.
 */
import { Ollama, type Message, type Tool, type ToolCall } from 'ollama';
import { classifyModelError } from './errors.ts';

export interface ChatRequest {
  messages: Message[];
  tools: Tool[];
  /** Called with each piece of visible text as it arrives. */
  onText?: (delta: string) => void;
  /** Aborts the request (the turn's overall deadline). */
  signal?: AbortSignal;
}

export interface ChatResult {
  content: string;
  toolCalls: ToolCall[];
  promptTokens: number;
  outputTokens: number;
}

export interface ChatModel {
  readonly name: string;
  chat(request: ChatRequest): Promise<ChatResult>;
}

export interface OllamaModelOptions {
  host: string;
  model: string;
  firstTokenTimeoutMs: number;
  contextTokens: number;
  keepAlive: string;
}

export function createOllamaModel(options: OllamaModelOptions): ChatModel {
  return {
    name: options.model,
    async chat(request) {
      const firstToken = new AbortController();
      const signal = request.signal ? AbortSignal.any([firstToken.signal, request.signal]) : firstToken.signal;
      const client = new Ollama({ host: options.host, fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }) });
      const timer = setTimeout(() => firstToken.abort(), options.firstTokenTimeoutMs);
      const result: ChatResult = { content: '', toolCalls: [], promptTokens: 0, outputTokens: 0 };
      try {
        const stream = await client.chat({
          model: options.model,
          messages: request.messages,
          tools: request.tools.length ? request.tools : undefined,
          stream: true,
          keep_alive: options.keepAlive,
          options: { num_ctx: options.contextTokens },
        });
        for await (const part of stream) {
          clearTimeout(timer);
          const text = part.message?.content ?? '';
          if (text) {
            result.content += text;
            request.onText?.(text);
          }
          if (part.message?.tool_calls?.length) result.toolCalls.push(...part.message.tool_calls);
          if (part.done) {
            result.promptTokens = part.prompt_eval_count ?? 0;
            result.outputTokens = part.eval_count ?? 0;
          }
        }
        return result;
      } catch (error) {
        const timedOut = firstToken.signal.aborted ? 'first-token' : request.signal?.aborted ? 'turn' : undefined;
        throw classifyModelError(error, { host: options.host, model: options.model, timedOut });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
