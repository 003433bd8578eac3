/**
 * find_tools: the model's way to the tools it was not offered this turn (see selection.ts).
 * With a query it lists the closest matches and makes them callable for the rest of the turn;
 * without one it lists every tool the sender may use by name, so nothing is out of reach. It
 * only ever lists tools this sender may use: permissions were applied before it was made.
 */
import { z } from 'zod';
import { defineTool, type ToolDefinition } from './tool.ts';

export const FIND_TOOLS = 'find_tools';
/** Tools a query enables at once: each one's schema is prompt for the next step. */
const ENABLE_AT_ONCE = 3;
/** The same for every turn's find_tools, so its schema is converted once. */
const parameters = z.object({ query: z.string().max(300).optional().describe('e.g. read a file') });

export function findToolsTool(options: {
  available: ToolDefinition[];
  /** The names offered this turn; the ones found are added, so the next step offers them. */
  offered: Set<string>;
  rank(query: string): Promise<Array<{ tool: ToolDefinition; score: number }>>;
  onEnable(names: string[]): void;
}): ToolDefinition {
  return defineTool({
    name: FIND_TOOLS,
    description: 'Find a tool not offered yet: give what it should do; without a query, list all tool names.',
    risk: 'read',
    group: 'builtin',
    parameters,
    async run({ query }) {
      if (!query?.trim()) {
        return `Tools you may use (call find_tools with a name or purpose to enable one): ${options.available.map((t) => t.name).join(', ')}`;
      }
      const exact = options.available.filter((t) => query.split(/[\s,]+/).includes(t.name));
      const ranked = exact.length ? [] : (await options.rank(query)).filter((r) => r.score > 0).map((r) => r.tool);
      // Asked for by name (as a suggestion in the note shows them): only those, since each tool
      // enabled stays on offer in this conversation.
      const found = exact.length ? exact.slice(0, ENABLE_AT_ONCE) : ranked.slice(0, ENABLE_AT_ONCE);
      if (found.length === 0) return `No tool matches "${query}". Call find_tools without a query for the full list.`;
      for (const tool of found) options.offered.add(tool.name);
      options.onEnable(found.map((t) => t.name));
      return `Enabled now (call them directly):\n${found.map((t) => `- ${t.name}: ${t.description}`).join('\n')}`;
    },
  });
}
