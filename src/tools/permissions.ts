/**
 * Which tools a person may use. Decided only from the sender — the person the identify stage
 * found for the account that sent the message — never from message text or from what the model
 * asks for. The access feature attaches the sender's resolved permissions (role defaults by risk,
 * overridden by per-person grants) to `turn.person`; without them only read-only tools are open
 * to non-owners, which is the safe default.
 */
import type { Person } from '../access/people.ts';
import type { Decision } from '../access/policy.ts';
import type { ToolDefinition } from './tool.ts';

export type { Decision } from '../access/policy.ts';

export interface ApprovalAnswer {
  approved: boolean;
  /** approved | denied | expired (nobody answered in time) | unavailable (nobody could be asked) */
  outcome: 'approved' | 'denied' | 'expired' | 'unavailable';
  /** Person id of whoever decided, when someone did. */
  decidedBy: string | null;
}

export interface ApprovalRequest {
  tool: ToolDefinition;
  /** Already masked: this is what the approver sees and what is stored. */
  arguments: Record<string, unknown>;
  signal?: AbortSignal;
}

/** What the sender of this turn may do; bound to the turn (where to say "waiting for approval"). */
export interface Permissions {
  decide(tool: ToolDefinition): { decision: Decision; source: 'role' | 'grant' };
  /** Asks an approver about one `ask` call; resolves when they answer or the request times out. */
  requestApproval(request: ApprovalRequest): Promise<ApprovalAnswer>;
  /** Model tokens this turn used, counted against the sender's daily budget. */
  recordTokens(tokens: number): Promise<void>;
}

export function decisionFor(person: Person, tool: ToolDefinition): { decision: Decision; source: 'role' | 'grant' } {
  if (person.permissions) return person.permissions.decide(tool);
  return { decision: tool.risk === 'read' || person.role === 'owner' ? 'allow' : 'deny', source: 'role' };
}

export function toolAllowedFor(person: Person, tool: ToolDefinition): boolean {
  return decisionFor(person, tool).decision !== 'deny';
}

/** The tools the model is offered for this sender: those they may use outright or after asking. */
export function toolsFor(person: Person, tools: ToolDefinition[]): ToolDefinition[] {
  return tools.filter((tool) => toolAllowedFor(person, tool));
}
