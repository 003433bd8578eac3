/**
 * Which tools the sender of a turn may use. Decided only from the sender — the person the
 * identify stage found for the account that sent the message — never from message text or from
 * what the model asks for. The access feature puts the sender's resolved permissions (role
 * defaults, the tool's own defaults, per-person grants) on the turn; a turn without them may use
 * no tool at all, so security never depends on a feature being present.
 */
import type { Decision } from '../access/types.ts';
import type { ToolDefinition } from './tool.ts';

export type { Decision } from '../access/types.ts';

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

/** Where a decision came from, for the audit record. */
export type DecisionSource = 'role' | 'tool' | 'grant' | 'none';

/** What the sender of this turn may do; bound to the turn (where to say "waiting for approval"). */
export interface Permissions {
  decide(tool: ToolDefinition): { decision: Decision; source: DecisionSource };
  /** Asks an approver about one `ask` call; resolves when they answer or the request times out. */
  requestApproval(request: ApprovalRequest): Promise<ApprovalAnswer>;
  /** Model tokens this turn used, counted against the sender's daily budget. */
  recordTokens(tokens: number): Promise<void>;
}

/** The decision for a turn that may have no permissions (no access feature): deny. */
export function decisionFor(permissions: Permissions | undefined, tool: ToolDefinition): { decision: Decision; source: DecisionSource } {
  return permissions ? permissions.decide(tool) : { decision: 'deny', source: 'none' };
}

/** The tools the model may be offered for this sender: those they may use outright or after asking. */
export function toolsFor(permissions: Permissions | undefined, tools: ToolDefinition[]): ToolDefinition[] {
  return tools.filter((tool) => decisionFor(permissions, tool).decision !== 'deny');
}
