/**
 * One streamed call to Ollama's /api/chat through the official client, with the two timeouts a
 * CPU-only box needs: one for the first token (model load + prompt processing) and one for the
 * whole answer. A hung Ollama therefore ends in an error, never in "typing…" forever.
 */
import { Ollama, type Message, type Tool, type ToolCall } from 'ollama';
import { classifyModelError, ModelUnavailableError } from './errors.ts';
import { OllamaPool, type FailureVerdict } from './pool.ts';
import { ModelAvailability } from './availability.ts';
import { modelAnswers, ollamaActivity, type OllamaActivity } from './ollama-status.ts';

export interface ChatRequest {
  messages: Message[];
  tools: Tool[];
  /** Called with each piece of visible text as it arrives. */
  onText?: (delta: string) => void;
  /** Aborts the request (the turn's overall deadline). */
  signal?: AbortSignal;
  /** The text shown so far is void: a server failed mid-answer and another starts over. */
  onRestart?: () => void;
  /** Called once when no word came within the slow-notice time, with what Ollama was doing. */
  onSlowStart?: (activity: OllamaActivity) => void;
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
  /** Whether the model answers, as its calls (and the pool's health checks) last saw. */
  readonly availability?: ModelAvailability;
  /** A cheap check that the model answers again, reported to `availability`; used while it counts as down. */
  probe?(): Promise<void>;
}

export interface OllamaModelOptions {
  /** One server (tests, the CLI) or the pool of a running Hearth. */
  host: string | OllamaPool;
  model: string;
  firstTokenTimeoutMs: number;
  /** After this long without a first token, `onSlowStart` is told what Ollama is doing. */
  slowNoticeMs?: number;
  contextTokens: number;
  keepAlive: string;
}

export function createOllamaModel(options: OllamaModelOptions): ChatModel {
  const pool = typeof options.host === 'string' ? new OllamaPool([{ url: options.host, concurrency: 64, chat: true, embed: true }]) : options.host;
  const availability = new ModelAvailability();
  // A "load the model" request proves more than the pool's /api/version probe: Ollama can be up
  // while the model fails (HTTP 500), and retrying then would only use up the message's attempts.
  const probe = async () => {
    const answers = async (host: string) => {
      if (!(await modelAnswers({ host, model: options.model, keepAlive: options.keepAlive }))) throw new Error(`${options.model} does not answer yet at ${host}`);
      return true;
    };
    // 'final': a failed probe says nothing new about the server, so the pool's state stays as it is.
    if (await pool.use('chat', options.model, answers, { verdict: () => 'final' }).catch(() => false)) availability.answered();
  };
  // A server of the pool answering again is the cue to check at once, not at the next probe.
  pool.onBack(() => void (availability.down && probe()));
  return {
    name: options.model,
    availability,
    probe,
    async chat(request) {
      let shown = false;
      const onText = (delta: string) => {
        shown = true;
        request.onText?.(delta);
      };
      try {
        const result = await pool.use(
          'chat',
          options.model,
          async (host) => {
            if (shown) {
              shown = false;
              request.onRestart?.();
            }
            return chatOnce(host, options, { ...request, onText });
          },
          { signal: request.signal, verdict: chatVerdict },
        );
        availability.answered();
        return result;
      } catch (error) {
        // A turn that ran out of time after words came proves the model answers; it is not down.
        if (error instanceof ModelUnavailableError && error.failure !== 'turn-timeout') availability.failed(error.failure);
        throw error;
      }
    },
  };
}

/** Unreachable, silent or failing servers hand the request on; the turn's own deadline does not. */
export function chatVerdict(error: unknown): FailureVerdict {
  if (!(error instanceof ModelUnavailableError)) return 'final';
  if (error.failure === 'model-missing') return 'model-missing';
  return error.failure === 'turn-timeout' ? 'final' : 'server';
}

async function chatOnce(host: string, options: OllamaModelOptions, request: ChatRequest): Promise<ChatResult> {
  const firstToken = new AbortController();
  const signal = request.signal ? AbortSignal.any([firstToken.signal, request.signal]) : firstToken.signal;
  const client = new Ollama({ host, fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }) });
  const timer = setTimeout(() => firstToken.abort(), options.firstTokenTimeoutMs);
  let started = false;
  const onSlowStart = request.onSlowStart;
  const slow =
    onSlowStart && options.slowNoticeMs
      ? setTimeout(() => void ollamaActivity({ host, model: options.model }).then((activity) => started || signal.aborted || onSlowStart(activity)), options.slowNoticeMs)
      : undefined;
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
      started = true;
      clearTimeout(timer);
      clearTimeout(slow);
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
    throw classifyModelError(error, { host, model: options.model, timedOut });
  } finally {
    started = true;
    clearTimeout(timer);
    clearTimeout(slow);
  }
}
