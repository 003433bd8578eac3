/**
 * Which tools a person may use. Decided only from the sender's role — never from message text or
 * from what the model asks for. Read-only tools are open to everyone Hearth knows; anything that
 * writes or acts outside Hearth is the owner's until per-person grants exist.
 */
import type { Person } from '../access/people.ts';
import type { ToolDefinition } from './tool.ts';

export function toolAllowedFor(person: Person, tool: ToolDefinition): boolean {
  if (tool.risk === 'read') return true;
  return person.role === 'owner';
}

export function toolsFor(person: Person, tools: ToolDefinition[]): ToolDefinition[] {
  return tools.filter((tool) => toolAllowedFor(person, tool));
}
