/**
 * A local stand-in for Ollama's HTTP API that the real `ollama` npm client talks to: /api/chat
 * with NDJSON streaming and tool calls, /api/embed, /api/tags, /api/show, /api/version, plus
 * the failures a household box sees (HTTP 500, an error line mid-stream, a hang, a missing model).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export interface ScriptedReply {
  content?: string;
  toolCalls?: FakeToolCall[];
  /** Split content into this many streamed pieces (default: by word). */
  pieces?: number;
  /** Wait between streamed pieces, to exercise streaming previews. */
  pieceDelayMs?: number;
}

export type Fault =
  | { kind: 'http-error'; status: number; error: string }
  | { kind: 'error-line'; error: string; afterContent?: string }
  | { kind: 'hang' }
  | { kind: 'hang-after-first-token'; content: string };

export type ChatHandler = (request: ChatBody) => ScriptedReply | Fault | string;

export interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: string; tool_calls?: unknown[]; tool_name?: string }>;
  tools?: Array<{ function: { name: string } }>;
  stream?: boolean;
}

export interface FakeOllama {
  url: string;
  /** Every /api/chat body received, in order. */
  chatRequests: ChatBody[];
  embedRequests: Array<{ model: string; input: string | string[] }>;
  /** Models /api/tags lists; a chat for any other model gets Ollama's 404. */
  models: string[];
  /** Queue the next chat answer(s); the default answer echoes the last user message. */
  reply(...answers: Array<ScriptedReply | Fault | string | ChatHandler>): void;
  /** Answer every chat with this until changed (undefined: back to the queue/echo). */
  always(answer: ScriptedReply | Fault | string | ChatHandler | undefined): void;
  /** Deterministic embedding function (default: hashed bag of words, 768 dims); also given the requested model. */
  embed: (text: string, model: string) => number[];
  embedFault: Fault | undefined;
  close(): Promise<void>;
}

export function hashedEmbedding(text: string, dims = 768): number[] {
  const vector = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let h = 2166136261;
    for (const ch of word) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619);
    vector[Math.abs(h) % dims]! += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

export async function startFakeOllama(options: { models?: string[] } = {}): Promise<FakeOllama> {
  const queue: Array<ScriptedReply | Fault | string | ChatHandler> = [];
  let standing: ScriptedReply | Fault | string | ChatHandler | undefined;
  const hanging = new Set<ServerResponse>();

  const fake: FakeOllama = {
    url: '',
    chatRequests: [],
    embedRequests: [],
    models: options.models ?? ['llama3.2:3b', 'nomic-embed-text:latest'],
    reply: (...answers) => queue.push(...answers),
    always: (answer) => (standing = answer),
    embed: (text) => hashedEmbedding(text),
    embedFault: undefined,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const knows = (model: string) => fake.models.some((m) => m === model || m === `${model}:latest` || m.replace(/:latest$/, '') === model);

  const server = createServer(async (request, response) => {
    const body = request.method === 'POST' ? await readJson(request) : undefined;
    switch (request.url) {
      case '/api/version':
        return json(response, 200, { version: '0.12.0-fake' });
      case '/api/tags':
        return json(response, 200, { models: fake.models.map((name) => ({ name, model: name, size: 1, digest: 'fake', details: {} })) });
      case '/api/show':
        return knows(body.model) ? json(response, 200, { modelfile: '', parameters: '', template: '', details: {}, model_info: { 'general.context_length': 8192 }, capabilities: ['completion', 'tools'] }) : json(response, 404, { error: `model '${body.model}' not found` });
      case '/api/embed':
        return handleEmbed(body, response);
      case '/api/chat':
        return handleChat(body as ChatBody, response);
      default:
        return json(response, 404, { error: 'not found' });
    }
  });

  function handleEmbed(body: { model: string; input: string | string[] }, response: ServerResponse) {
    fake.embedRequests.push(body);
    if (fake.embedFault) return sendFault(fake.embedFault, response);
    if (!knows(body.model)) return json(response, 404, { error: `model "${body.model}" not found, try pulling it first` });
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    json(response, 200, { model: body.model, embeddings: inputs.map((text) => fake.embed(text, body.model)) });
  }

  async function handleChat(body: ChatBody, response: ServerResponse) {
    fake.chatRequests.push(body);
    if (!knows(body.model)) return json(response, 404, { error: `model "${body.model}" not found, try pulling it first` });
    const next = standing ?? queue.shift() ?? echo;
    const answer = typeof next === 'function' ? next(body) : next;
    if (typeof answer === 'object' && 'kind' in answer) return sendFault(answer, response, body.model);
    const reply: ScriptedReply = typeof answer === 'string' ? { content: answer } : answer;
    if (body.stream === false) {
      return json(response, 200, { ...chunk(body.model, reply.content ?? '', reply.toolCalls), done: true, done_reason: 'stop', prompt_eval_count: 10, eval_count: 5 });
    }
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const piece of split(reply.content ?? '', reply.pieces)) {
      response.write(`${JSON.stringify(chunk(body.model, piece))}\n`);
      if (reply.pieceDelayMs) await sleep(reply.pieceDelayMs);
    }
    if (reply.toolCalls?.length) response.write(`${JSON.stringify(chunk(body.model, '', reply.toolCalls))}\n`);
    response.end(`${JSON.stringify({ ...chunk(body.model, ''), done: true, done_reason: 'stop', prompt_eval_count: 10, eval_count: 5 })}\n`);
  }

  function sendFault(fault: Fault, response: ServerResponse, model = 'fake') {
    switch (fault.kind) {
      case 'http-error':
        return json(response, fault.status, { error: fault.error });
      case 'error-line':
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        if (fault.afterContent) response.write(`${JSON.stringify(chunk(model, fault.afterContent))}\n`);
        return response.end(`${JSON.stringify({ error: fault.error })}\n`);
      case 'hang':
        hanging.add(response);
        response.on('close', () => hanging.delete(response));
        return;
      case 'hang-after-first-token':
        hanging.add(response);
        response.on('close', () => hanging.delete(response));
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        response.write(`${JSON.stringify(chunk(model, fault.content))}\n`);
        return;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

const echo: ChatHandler = (request) => {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  return `echo: ${lastUser?.content ?? ''}`;
};

function chunk(model: string, content: string, toolCalls?: FakeToolCall[]) {
  return {
    model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content, ...(toolCalls ? { tool_calls: toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) } : {}) },
    done: false,
  };
}

function split(content: string, pieces?: number): string[] {
  if (!content) return [];
  if (!pieces) return content.match(/\S+\s*|\s+/g) ?? [content];
  const size = Math.ceil(content.length / pieces);
  return Array.from({ length: Math.ceil(content.length / size) }, (_, i) => content.slice(i * size, (i + 1) * size));
}

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<any> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? JSON.parse(text) : {};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
