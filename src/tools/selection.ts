/**
 * Which tools the model is offered this turn. Every tool schema is prompt the model reads before
 * it answers — on a CPU, tens of tokens a second — so when the sender may use more tools than
 * `agent.maxOfferedTools`, only the most relevant are offered: those whose description is most
 * like the message (embedding similarity; the tools' embeddings are cached) and those used
 * recently in this conversation, plus `find_tools`, with which the model reaches any other.
 *
 * The list is decided for the conversation, not for each message, because Ollama reuses its
 * prompt cache only up to the first difference and many chat templates (Qwen's among them) put
 * the tools in the system turn: a list that changes costs the whole prompt again. So the first
 * turn picks the most relevant tools, and later turns send the same list, byte for byte, in the
 * same order. It grows only when the model enables a tool with find_tools (the new tool goes at
 * the end). A tool that stands out for a later message is not added on a guess; it is named in
 * that turn's note (which rides with the newest message), and one find_tools call enables it.
 * When find_tools has grown the list past twice the configured size, the next turn starts a new
 * list, in one step, from the tools used lately and the most relevant ones.
 */
import type { Embedder } from '../memory/embedder.ts';
import type { Logger } from '../log.ts';
import { toOllamaTool, type ToolDefinition } from './tool.ts';
import { findToolsTool, FIND_TOOLS } from './find-tools.ts';

export interface ToolChoice {
  /** Names offered to the model, in the order they are sent (the finder, when there is one, first). */
  offered: Set<string>;
  /** `find_tools`, when not every tool is offered. */
  finder?: ToolDefinition;
  /** Tools not offered that stand out for this message: named in the turn's note, enabled by find_tools. */
  suggested: ToolDefinition[];
}

/** Conversations whose offered set and recent tools are remembered; the oldest is forgotten first. */
const MAX_CONVERSATIONS = 500;
/** At most this many tools are suggested in one turn's note. */
const MAX_SUGGESTED = 2;
const RECENT_TOOLS = 4;

export class ToolChooser {
  private readonly embedder: Embedder | undefined;
  private readonly maxOffered: number;
  private readonly maxOfferedChars: number;
  private readonly log: Logger;
  private readonly embeddings = new Map<string, number[]>();
  /** Per conversation: the tools on offer, in the order sent, and the tools used lately (newest first). */
  private readonly conversations = new Map<string, { offered: string[]; recent: string[] }>();

  constructor(options: { embedder?: Embedder; maxOffered: number; /** Schema characters a new list may take; 0: no limit. */ maxOfferedChars?: number; log: Logger }) {
    this.embedder = options.embedder;
    this.maxOffered = options.maxOffered;
    this.maxOfferedChars = options.maxOfferedChars ?? 0;
    this.log = options.log;
  }

  async choose(input: { conversationKey: string; text: string; available: ToolDefinition[]; log?: Logger }): Promise<ToolChoice> {
    const { available } = input;
    if (this.maxOffered === 0 || available.length <= this.maxOffered) return { offered: new Set(available.map((t) => t.name)), suggested: [] };
    const log = input.log ?? this.log;
    const state = this.conversation(input.conversationKey);
    const slots = this.maxOffered - 1; // one place is find_tools'
    const ranked = await this.rank(input.text, available, log);
    const names = new Set(available.map((t) => t.name));
    // A tool whose server is down leaves the list while it is away; the rest keep their order.
    const kept = state.offered.filter((n) => names.has(n));

    if (kept.length === 0 || kept.length > 2 * slots) {
      // A new list: the tools used lately, then the most relevant, sent in catalogue order. A
      // relevant tool whose schema would take the list past its character budget is passed over
      // for the next that fits (find_tools still reaches it): one sprawling schema should not double
      // the prompt.
      const chosen = new Set(state.recent.filter((n) => names.has(n)).slice(0, slots));
      let chars = available.filter((t) => chosen.has(t.name)).reduce((sum, t) => sum + schemaChars(t), 0);
      for (const { tool } of ranked) {
        if (chosen.size >= slots) break;
        if (chosen.has(tool.name) || (this.maxOfferedChars > 0 && chars + schemaChars(tool) > this.maxOfferedChars)) continue;
        chosen.add(tool.name);
        chars += schemaChars(tool);
      }
      state.offered = available.filter((t) => chosen.has(t.name)).map((t) => t.name);
      if (kept.length) log.info({ tools: state.offered }, 'the offered tool list outgrew its size and was chosen again');
    } else {
      state.offered = kept;
    }

    // A tool stands out when it is two standard deviations above the mean of all tools and half
    // again as relevant as anything on offer: with real embeddings every tool is somewhat like
    // every message, and a suggestion costs the model a find_tools call.
    const offeredNow = new Set(state.offered);
    const mean = ranked.reduce((sum, r) => sum + r.score, 0) / ranked.length;
    const spread = Math.sqrt(ranked.reduce((sum, r) => sum + (r.score - mean) ** 2, 0) / ranked.length);
    const bestOffered = Math.max(0, ...ranked.filter((r) => offeredNow.has(r.tool.name)).map((r) => r.score));
    const suggested = ranked
      .filter((r) => !offeredNow.has(r.tool.name) && r.score > 0 && r.score >= mean + 2 * spread && r.score > 1.5 * bestOffered)
      .slice(0, MAX_SUGGESTED)
      .map((r) => r.tool);

    const offered = new Set([FIND_TOOLS, ...state.offered]);
    const finder = findToolsTool({ available, offered, rank: (query) => this.rank(query, available, log), onEnable: (enabled) => this.enabled(input.conversationKey, enabled) });
    return { offered, finder, suggested };
  }

  /**
   * Tools the model called: chosen first when the list is chosen again, and kept on offer (one
   * it called without being shown was added to the turn's later steps, so the next turn sends it too).
   */
  used(conversationKey: string, toolNames: string[]): void {
    const state = this.conversation(conversationKey);
    const called = toolNames.filter((n) => n !== FIND_TOOLS);
    state.recent = [...new Set([...[...called].reverse(), ...state.recent])].slice(0, RECENT_TOOLS);
    this.enabled(conversationKey, called);
  }

  /** Tools find_tools enabled: they stay on offer in this conversation, after the others. */
  private enabled(conversationKey: string, toolNames: string[]): void {
    const state = this.conversation(conversationKey);
    for (const name of toolNames) if (name !== FIND_TOOLS && !state.offered.includes(name)) state.offered.push(name);
  }

  /** Tools most like the text first. Without embeddings (Ollama down), shared words decide. */
  private async rank(text: string, tools: ToolDefinition[], log: Logger): Promise<Array<{ tool: ToolDefinition; score: number }>> {
    let scores: number[];
    try {
      if (!this.embedder) throw new Error('no embedding model');
      const missing = tools.map(describe).filter((d) => !this.embeddings.has(d));
      const vectors = await this.embedder.embed([text, ...new Set(missing)]);
      [...new Set(missing)].forEach((d, i) => this.embeddings.set(d, vectors[i + 1]!));
      scores = tools.map((t) => cosine(vectors[0]!, this.embeddings.get(describe(t))!));
    } catch (error) {
      log.debug({ err: error }, 'choosing tools by shared words: embeddings are unavailable');
      const words = wordsOf(text);
      scores = tools.map((t) => [...wordsOf(describe(t))].filter((w) => words.has(w)).length);
    }
    return tools.map((tool, i) => ({ tool, score: scores[i]! })).sort((a, b) => b.score - a.score);
  }

  private conversation(key: string): { offered: string[]; recent: string[] } {
    let state = this.conversations.get(key);
    if (state) this.conversations.delete(key);
    state ??= { offered: [], recent: [] };
    this.conversations.set(key, state);
    if (this.conversations.size > MAX_CONVERSATIONS) this.conversations.delete(this.conversations.keys().next().value!);
    return state;
  }
}

/** What a tool costs the prompt: its schema as the model is sent it. */
const schemaChars = (tool: ToolDefinition) => JSON.stringify(toOllamaTool(tool)).length;

/** The note block naming this turn's suggested tools, or nothing. */
export function suggestionNote(suggested: ToolDefinition[]): string | undefined {
  if (suggested.length === 0) return undefined;
  return `Tools that may help, not enabled yet (call ${FIND_TOOLS} with the name first): ${suggested.map((t) => `${t.name} (${firstSentence(t.description)})`).join('; ')}`;
}

const firstSentence = (text: string) => text.split(/(?<=\.)\s/)[0]!.replace(/[\s]+/g, ' ').slice(0, 120);

/** What a tool is embedded as; its name is split into words (`set_thermostat` → "set thermostat"). */
const describe = (tool: ToolDefinition) => `${tool.name.replace(/[_-]+/g, ' ')}: ${tool.description}`;

function wordsOf(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).map((w) => w.replace(/s$/, '')));
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
