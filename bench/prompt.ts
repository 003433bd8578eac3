/**
 * The prompt Hearth sends, as Ollama receives it (through the real client to the Ollama
 * stand-in): its size with three MCP servers configured (server-everything, server-filesystem,
 * server-memory from npm: about 30 tools), and over a 40-turn conversation with recall on, how
 * much of each request Ollama's prompt cache can reuse — the share of the request, rendered as
 * text, that is an exact prefix of the previous request followed by its answer.
 *
 * Where the tool schemas land in the prompt depends on the model's chat template, so the reuse is
 * measured for both layouts: tools in the system turn (Qwen 2.5, Hearth's default model: a change
 * of the tool list or the system prompt costs the whole prompt) and tools with the newest message
 * (Llama 3.2: the schemas come after the history and are reprocessed every turn, whatever the
 * prompt does). The headline figure is the default model's layout. For every turn the bench also
 * says where the request first differed from the previous one plus its answer, and why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../src/config/load.ts';
import { createHearth } from '../src/hearth.ts';
import { createLogger } from '../src/log.ts';
import { createTestAdapter } from '../test/helpers/test-adapter.ts';
import { startFakeOllama, type ChatBody } from '../test/fakes/ollama.ts';

export interface PromptFigures {
  /** The default chat model, and where its template puts the tools (the headline layout). */
  defaultModel: { name: string; layout: Layout };
  toolsAvailable: number;
  toolsOffered: number;
  /** One turn: the system prompt and the tool schemas offered, in characters. */
  firstTurn: { system: number; tools: number; total: number };
  /** The same turn if every tool were offered (HEARTH_MAX_OFFERED_TOOLS=0). */
  allToolsChars: number;
  conversation: {
    turns: number;
    averagePromptChars: number;
    /** Average share of a request that is an exact prefix of the previous request and its answer, per layout. */
    prefixReuse: { toolsFirst: number; toolsWithNewestMessage: number };
    lowestPrefixReuse: { toolsFirst: number; toolsWithNewestMessage: number };
    toolListChanges: number;
    /** Per turn after the first, per layout: where the request stopped matching the previous one, and why. */
    breaks: TurnBreak[];
  };
}

/** Where a request first differs from the previous request plus its answer, and the cause. */
export interface TurnBreak {
  turn: number;
  layout: Layout;
  share: number;
  /** The part of the request holding the first differing character. */
  at: 'tools' | 'system' | 'history' | 'newest message';
  cause: string;
}

type Layout = 'toolsFirst' | 'toolsWithNewestMessage';

const server = (path: string) => resolve('node_modules/@modelcontextprotocol', path);

const TOPICS = [
  'What should we cook tonight with the leftover rice?',
  'Remind me what the plumber said about the boiler.',
  'Can you list the files in the shared folder?',
  'Add to the knowledge graph that Sam is allergic to peanuts.',
  'How long does it take to boil an egg?',
  'Echo back the word pancake, please.',
  'Which of the kids has football on Tuesday?',
  'What is 17% of 2,340?',
  'Read the notes file in the shared folder.',
  'Tell me a short joke about cats.',
];

export async function benchPrompt(options: { turns?: number } = {}): Promise<PromptFigures> {
  const turns = options.turns ?? 40;
  const folder = mkdtempSync(join(tmpdir(), 'hearth-bench-prompt-'));
  const ollama = await startFakeOllama();
  // Agent requests carry tools; the summarizer's and the fact extractor's do not.
  ollama.always((request) =>
    request.tools?.length
      ? `Here is my answer to that, kept to a couple of sentences as a household assistant would: ${request.messages.at(-1)!.content.split('\n\n').at(-1)!.slice(0, 80)}. Anything else?`
      : 'Summary: the household talked about cooking, the boiler, files, allergies and school sports.',
  );
  const servers = {
    everything: { command: process.execPath, args: [server('server-everything/dist/index.js'), 'stdio'], sandbox: false },
    files: { command: process.execPath, args: [server('server-filesystem/dist/index.js'), folder], sandbox: false },
    memory: { command: process.execPath, args: [server('server-memory/dist/index.js')], env: { MEMORY_FILE_PATH: join(folder, 'memory.jsonl') }, sandbox: false },
  };
  const adapter = createTestAdapter('bench', { canEdit: false, hasTyping: false });
  const config = loadConfig({
    file: false,
    env: {},
    overrides: { owner: 'bench:owner-1', dataDir: join(folder, 'data'), ollama: { host: ollama.url }, agent: { streaming: false }, limits: { messagesPerMinute: 1_000_000, tokensPerDay: 0 }, mcp: { servers } },
  });
  const hearth = await createHearth({ config, log: createLogger({ level: 'silent', stream: new PassThrough() }), adapters: [adapter], inMemory: true, pollIntervalMs: 50 });
  try {
    await hearth.start();
    const deadline = Date.now() + 120_000;
    while (hearth.gateway.catalog.status().some((s) => s.state !== 'running')) {
      if (Date.now() > deadline) throw new Error(`MCP servers did not start: ${JSON.stringify(hearth.gateway.catalog.status())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const sender = { accountId: 'owner-1', displayName: 'Olive' };
    const conversation = { id: 'kitchen', kind: 'direct' as const };
    const say = async (text: string) => {
      await adapter.inject({ text, conversation, sender });
      await hearth.gateway.idle(120_000);
    };
    // Recall has something to find.
    for (const fact of ['Sam is allergic to peanuts.', 'The boiler is serviced every October by Pat the plumber.', 'Football practice is on Tuesdays for Max.', 'We keep the spare key with the neighbour.']) await say(`/remember ${fact}`);

    const agentRequests = () => ollama.chatRequests.filter((r) => r.tools?.length);
    const before = agentRequests().length;
    for (let i = 0; i < turns; i++) await say(`${TOPICS[i % TOPICS.length]} (${i + 1})`);
    const requests = agentRequests().slice(before);

    const first = requests[0]!;
    const system = first.messages[0]!.content.length;
    const tools = JSON.stringify(first.tools).length;
    const available = hearth.gateway.catalog.list().length;
    const { toOllamaTool } = await import('../src/tools/tool.ts');
    const allToolsChars = JSON.stringify(hearth.gateway.catalog.list().map(toOllamaTool)).length;

    const round = (x: number) => Math.round(x * 1000) / 1000;
    const shares = { toolsFirst: [] as number[], toolsWithNewestMessage: [] as number[] };
    const breaks: TurnBreak[] = [];
    let changes = 0;
    for (let i = 1; i < requests.length; i++) {
      const previous = requests[i - 1]!;
      const answer = `assistant: ${answerOf(requests[i]!, previous)}\n`;
      for (const layout of ['toolsFirst', 'toolsWithNewestMessage'] as const) {
        const current = render(requests[i]!, layout);
        const common = commonPrefix(render(previous, layout) + answer, current);
        shares[layout].push(common / current.length);
        breaks.push({ turn: i + 1, layout, share: round(common / current.length), ...explainBreak(previous, requests[i]!, layout, common) });
      }
      if (JSON.stringify(previous.tools) !== JSON.stringify(requests[i]!.tools)) changes++;
    }
    const average = (list: number[]) => round(list.reduce((a, b) => a + b, 0) / list.length);
    return {
      defaultModel: { name: config.ollama.model, layout: toolLayoutOf(config.ollama.model) },
      toolsAvailable: available,
      toolsOffered: first.tools!.length,
      firstTurn: { system, tools, total: system + tools },
      allToolsChars: allToolsChars + system,
      conversation: {
        turns: requests.length,
        averagePromptChars: Math.round(requests.reduce((sum, r) => sum + render(r, 'toolsFirst').length, 0) / requests.length),
        prefixReuse: { toolsFirst: average(shares.toolsFirst), toolsWithNewestMessage: average(shares.toolsWithNewestMessage) },
        lowestPrefixReuse: { toolsFirst: round(Math.min(...shares.toolsFirst)), toolsWithNewestMessage: round(Math.min(...shares.toolsWithNewestMessage)) },
        toolListChanges: changes,
        breaks,
      },
    };
  } finally {
    await hearth.stop();
    await ollama.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Llama 3.x templates render the tools into the newest user message; Qwen's (and most others') into the system turn. */
function toolLayoutOf(model: string): Layout {
  return /^llama3/i.test(model) ? 'toolsWithNewestMessage' : 'toolsFirst';
}

const LAYOUT_NAMES: Record<Layout, string> = { toolsFirst: 'tools in the system turn (Qwen 2.5)', toolsWithNewestMessage: 'tools with the newest message (Llama 3.2)' };

/** The request as the text a chat template makes of it, with the tools in one of two places. */
function render(request: ChatBody, layout: Layout): string {
  return parts(request, layout).map((p) => p.text).join('');
}

/** The rendered request in its parts, in order: the tools, then each message (index into messages). */
function parts(request: ChatBody, layout: Layout): Array<{ text: string; message?: number }> {
  const tools = { text: `${JSON.stringify(request.tools ?? [])}\n` };
  const messages = request.messages.map((m, index) => ({ text: `${m.role}: ${m.content}\n`, message: index }));
  // Templates that render tools into the system turn (Qwen 2.5) put them after the system prompt.
  return layout === 'toolsFirst' ? [messages[0]!, tools, ...messages.slice(1)] : [...messages.slice(0, -1), tools, messages.at(-1)!];
}

/**
 * Which part of `current` holds its first character that is not in the previous request plus its
 * answer, and why it differs. Only a break in the newest message is unavoidable (it is new).
 */
function explainBreak(previous: ChatBody, current: ChatBody, layout: Layout, common: number): Pick<TurnBreak, 'at' | 'cause'> {
  let offset = 0;
  const last = current.messages.length - 1;
  for (const part of parts(current, layout)) {
    offset += part.text.length;
    if (common >= offset) continue;
    if (part.message === undefined) {
      const before = new Set((previous.tools ?? []).map((t) => t.function.name));
      const now = new Set((current.tools ?? []).map((t) => t.function.name));
      const added = [...now].filter((n) => !before.has(n));
      const removed = [...before].filter((n) => !now.has(n));
      if (added.length || removed.length) return { at: 'tools', cause: `tool list changed (+${added.join(',') || '-'} -${removed.join(',') || '-'})` };
      // Same tools after a changed message: the schemas sit after the previous request's newest message.
      return { at: 'tools', cause: layout === 'toolsWithNewestMessage' ? 'tools follow the newest message (template layout)' : 'tool schemas re-rendered' };
    }
    if (part.message === 0) return { at: 'system', cause: 'system prompt changed' };
    if (part.message === last) return { at: 'newest message', cause: 'new message' };
    const index = part.message;
    const summary = (m: ChatBody) => m.messages.find((x) => x.content.startsWith('[Summary of the earlier conversation'))?.content;
    if (summary(current) !== summary(previous)) return { at: 'history', cause: 'older turns folded into the summary' };
    if (current.messages[1]?.content !== previous.messages[1]?.content) return { at: 'history', cause: 'history trimmed (oldest message differs)' };
    // The summarizer may write the same summary again; the turns after it still changed.
    if (current.messages.length <= previous.messages.length) return { at: 'history', cause: 'older turns folded into the summary' };
    const was = previous.messages[index];
    // With the schemas rendered before the newest message, the previous newest message followed them.
    if (layout === 'toolsWithNewestMessage' && index === previous.messages.length - 1 && current.messages[index]!.content === previous.messages[index]!.content) return { at: 'tools', cause: 'tools were before the previous newest message (template layout)' };
    if (index === previous.messages.length - 1 || index === previous.messages.length) return { at: 'history', cause: `previous ${current.messages[index]!.role} message replayed differently` };
    return { at: 'history', cause: was ? `history message ${index} (${was.role}) re-rendered` : 'history changed' };
  }
  return { at: 'newest message', cause: 'identical' };
}

/** The previous turn's answer, as the next request repeats it (what the model said then). */
function answerOf(next: ChatBody, previous: ChatBody): string {
  const index = previous.messages.length - 1;
  const repeated = next.messages.slice(1).find((m, i, list) => m.role === 'assistant' && list[i - 1]?.content === previous.messages[index]!.content);
  return repeated?.content ?? '';
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Called from bench/run.ts: prints the figures and adds them and the goals to the results. */
export async function runPromptBench(options: { say: (line: string) => void; results: { goals: Record<string, string> } }): Promise<void> {
  try {
    const f = await benchPrompt();
    (options.results as Record<string, unknown>).prompt = f;
    options.say(`\nprompt    three MCP servers (everything, filesystem, memory): ${f.toolsAvailable} tools, ${f.toolsOffered} offered per turn`);
    options.say(`          first turn: system ${f.firstTurn.system} + tool schemas ${f.firstTurn.tools} = ${f.firstTurn.total} characters (every tool offered: ${f.allToolsChars})`);
    const c = f.conversation;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    options.say(`          ${c.turns}-turn conversation, recall on: average prompt ${c.averagePromptChars} characters, tool list changed ${c.toolListChanges} times`);
    const main = f.defaultModel.layout;
    const other: Layout = main === 'toolsFirst' ? 'toolsWithNewestMessage' : 'toolsFirst';
    options.say(`          prefix reused with ${f.defaultModel.name} (${LAYOUT_NAMES[main]}): ${pct(c.prefixReuse[main])} on average, lowest ${pct(c.lowestPrefixReuse[main])}`);
    options.say(`          with ${LAYOUT_NAMES[other]}: ${pct(c.prefixReuse[other])}, lowest ${pct(c.lowestPrefixReuse[other])}`);
    // Where the cache stopped, apart from the new message itself (the only unavoidable break).
    const causes = new Map<string, number>();
    for (const b of c.breaks) if (b.layout === main && b.at !== 'newest message') causes.set(b.cause, (causes.get(b.cause) ?? 0) + 1);
    const turnsOf = (cause: string) => c.breaks.filter((b) => b.layout === main && b.cause === cause).map((b) => b.turn).join(', ');
    for (const [cause, count] of causes) options.say(`          ${count}× ${cause} (turns ${turnsOf(cause)})`);
    options.results.goals['tools+system < 4000 chars (30 tools)'] = `${f.firstTurn.total} ${f.firstTurn.total < 4000 ? 'met' : 'missed'}`;
    options.results.goals['prefix reuse >= 90%'] = `${pct(c.prefixReuse[main])} with ${f.defaultModel.name} ${c.prefixReuse[main] >= 0.9 ? 'met' : 'missed'} (${LAYOUT_NAMES[other]}: ${pct(c.prefixReuse[other])})`;
  } catch (error) {
    (options.results as Record<string, unknown>).prompt = { error: (error as Error).message };
    options.say(`\nprompt    not measured: ${(error as Error).message}`);
    options.results.goals['tools+system < 4000 chars (30 tools)'] = 'not measured';
    options.results.goals['prefix reuse >= 90%'] = 'not measured';
  }
}
