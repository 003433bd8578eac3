/**
 * A local stand-in for Ollama's HTTP API that the real `ollama` npm client talks to: /api/chat
 * with NDJSON streaming and tool calls, /api/embed, /api/tags, /api/show, /api/version, a
 * streamed /api/pull (progress lines, then the model is listed), /api/ps, a chat with no messages
 * (Ollama's "load a model" request, Hearth's probe), plus the failures a household box sees
 * (HTTP 500, an error line mid-stream, a hang, a slow first token, a missing model).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertTestLive } from '../helpers/test-scope.ts';

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
  /** Wait before the first piece (a model loading, or a long prompt on a CPU). */
  firstTokenDelayMs?: number;
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
  /** Every "load a model" chat (no messages), in order; they never take a queued answer. */
  loadRequests: string[];
  /** Models /api/ps lists as loaded; a model is added once it answered a chat. */
  running: string[];
  /** When set, /api/ps answers with this fault (e.g. hang: Ollama stopped answering). */
  psFault: Fault | undefined;
  /** Every model /api/pull was asked for, in order. */
  pullRequests: string[];
  /** How pulls behave: bytes of the one layer, progress lines, and the pause between them. */
  pull: { bytes: number; steps: number; stepDelayMs: number; unknown: string[] };
  /** How long every chat "thinks" before its first token (a model's answer time). */
  answerDelayMs: number;
  /** Chats being answered right now, and the most there ever were at once. */
  activeChats: number;
  maxActiveChats: number;
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

/** `port` reopens a stand-in where a closed one listened (a restarted Ollama). */
export async function startFakeOllama(options: { models?: string[]; port?: number; answerDelayMs?: number } = {}): Promise<FakeOllama> {
  const queue: Array<ScriptedReply | Fault | string | ChatHandler> = [];
  let standing: ScriptedReply | Fault | string | ChatHandler | undefined;
  const hanging = new Set<ServerResponse>();

  const fake: FakeOllama = {
    url: '',
    chatRequests: [],
    embedRequests: [],
    models: options.models ?? ['qwen2.5:3b', 'nomic-embed-text:latest'],
    reply: (...answers) => {
      assertTestLive('queue an Ollama answer');
      queue.push(...answers);
    },
    always: (answer) => {
      assertTestLive('set the standing Ollama answer');
      standing = answer;
    },
    embed: (text) => hashedEmbedding(text),
    embedFault: undefined,
    loadRequests: [],
    running: [],
    psFault: undefined,
    pullRequests: [],
    pull: { bytes: 2_019_393_189, steps: 8, stepDelayMs: 0, unknown: [] },
    answerDelayMs: options.answerDelayMs ?? 0,
    activeChats: 0,
    maxActiveChats: 0,
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
      case '/api/ps':
        if (fake.psFault) return sendFault(fake.psFault, response);
        return json(response, 200, { models: fake.running.map((name) => ({ name, model: name, size: 1, digest: 'fake', details: {}, expires_at: new Date(Date.now() + 300_000).toISOString(), size_vram: 0 })) });
      case '/api/tags':
        return json(response, 200, { models: fake.models.map((name) => ({ name, model: name, size: 1, digest: 'fake', details: {} })) });
      case '/api/show':
        return knows(body.model) ? json(response, 200, { modelfile: '', parameters: '', template: '', details: {}, model_info: { 'general.context_length': 8192 }, capabilities: ['completion', 'tools'] }) : json(response, 404, { error: `model '${body.model}' not found` });
      case '/api/embed':
        return handleEmbed(body, response);
      case '/api/chat':
        return handleChat(body as ChatBody, response);
      case '/api/pull':
        // The npm client still sends the older `name`; Ollama takes either.
        return handlePull({ model: body.model ?? body.name, stream: body.stream }, response);
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

  /** Like Ollama: a manifest line, progress lines for the layer, verifying, success; the model is then listed. */
  async function handlePull(body: { model: string; stream?: boolean }, response: ServerResponse) {
    fake.pullRequests.push(body.model);
    const { bytes, steps, stepDelayMs, unknown } = fake.pull;
    if (unknown.includes(body.model)) return json(response, 500, { error: 'pull model manifest: file does not exist' });
    const name = body.model.includes(':') ? body.model : `${body.model}:latest`;
    const digest = `sha256:${Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64)}`;
    const lines = [
      { status: 'pulling manifest' },
      ...Array.from({ length: steps + 1 }, (_, i) => ({ status: `pulling ${digest.slice(7, 19)}`, digest, total: bytes, completed: Math.round((bytes * i) / steps) })),
      { status: 'verifying sha256 digest' },
      { status: 'writing manifest' },
      { status: 'success' },
    ];
    if (body.stream === false) {
      if (!knows(name)) fake.models.push(name);
      return json(response, 200, { status: 'success' });
    }
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const line of lines) {
      response.write(`${JSON.stringify(line)}\n`);
      if (stepDelayMs) await sleep(stepDelayMs);
    }
    if (!knows(name)) fake.models.push(name);
    response.end();
  }

  async function handleChat(body: ChatBody, response: ServerResponse) {
    if (!body.messages?.length) return handleLoad(body, response);
    fake.chatRequests.push(body);
    if (!knows(body.model)) return json(response, 404, { error: `model "${body.model}" not found, try pulling it first` });
    fake.activeChats++;
    fake.maxActiveChats = Math.max(fake.maxActiveChats, fake.activeChats);
    response.once('close', () => fake.activeChats--);
    if (fake.answerDelayMs) await sleep(fake.answerDelayMs);
    if (response.destroyed) return;
    const next = standing ?? queue.shift() ?? echo;
    const answer = typeof next === 'function' ? next(body) : next;
    if (typeof answer === 'object' && 'kind' in answer) return sendFault(answer, response, body.model);
    const reply: ScriptedReply = typeof answer === 'string' ? { content: answer } : answer;
    // Like /api/ps: a model counts as running once loaded, i.e. when its first word comes.
    const loaded = () => fake.running.includes(body.model) || fake.running.push(body.model);
    if (body.stream === false) {
      loaded();
      return json(response, 200, { ...chunk(body.model, reply.content ?? '', reply.toolCalls), done: true, done_reason: 'stop', prompt_eval_count: 10, eval_count: 5 });
    }
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if (reply.firstTokenDelayMs) await sleep(reply.firstTokenDelayMs);
    loaded();
    for (const piece of split(reply.content ?? '', reply.pieces)) {
      response.write(`${JSON.stringify(chunk(body.model, piece))}\n`);
      if (reply.pieceDelayMs) await sleep(reply.pieceDelayMs);
    }
    if (reply.toolCalls?.length) response.write(`${JSON.stringify(chunk(body.model, '', reply.toolCalls))}\n`);
    response.end(`${JSON.stringify({ ...chunk(body.model, ''), done: true, done_reason: 'stop', prompt_eval_count: 10, eval_count: 5 })}\n`);
  }

  /** Like Ollama: loads the model and answers done at once; a standing fault fails it the same way. */
  function handleLoad(body: ChatBody, response: ServerResponse) {
    fake.loadRequests.push(body.model);
    if (!knows(body.model)) return json(response, 404, { error: `model "${body.model}" not found, try pulling it first` });
    if (standing && typeof standing === 'object' && 'kind' in standing) return sendFault(standing, response, body.model);
    if (!fake.running.includes(body.model)) fake.running.push(body.model);
    json(response, 200, { model: body.model, created_at: new Date().toISOString(), message: { role: 'assistant', content: '' }, done_reason: 'load', done: true });
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

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** What the person wrote, without the note Hearth puts before the newest message (time, memories). */
export function personText(content: string): string {
  return content.startsWith('[Now: ') && content.includes('\n\n') ? content.slice(content.indexOf('\n\n') + 2) : content;
}

/** Hearth's note before the newest message (time, recalled memories), or '' when there is none. */
export function hearthNote(content: string): string {
  return content.startsWith('[Now: ') ? content.slice(0, content.indexOf('\n\n')) : '';
}

const echo: ChatHandler = (request) => {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  return `echo: ${personText(lastUser?.content ?? '')}`;
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
