/**
 * The rules people are judged by, parsed from configuration: role names, each role's default
 * decision per tool risk, and what happens to unknown senders per platform and room. Pure
 * functions, so every decision can be tested without a database.
 */
import type { ConversationRef } from '../core/index.ts';
import type { Decision, Role, ToolRisk } from './types.ts';

export type { Decision, Role, ToolRisk } from './types.ts';
export const ROLES: Role[] = ['owner', 'member', 'guest'];
export const DECISIONS: Decision[] = ['allow', 'ask', 'deny'];

export type UnknownSenderPolicy = 'refuse' | 'pairing' | 'open';

const ROLE_RANK: Record<Role, number> = { guest: 0, member: 1, owner: 2 };
const DECISION_RANK: Record<Decision, number> = { deny: 0, ask: 1, allow: 2 };

export const roleRank = (role: Role): number => ROLE_RANK[role];
export const higherRole = (a: Role, b: Role): Role => (ROLE_RANK[a] >= ROLE_RANK[b] ? a : b);
/** True when `a` lets a person do at least as much as `b`. */
export const atLeast = (a: Decision, b: Decision): boolean => DECISION_RANK[a] >= DECISION_RANK[b];

export const isRole = (value: string): value is Role => (ROLES as string[]).includes(value);
export const isDecision = (value: string): value is Decision => (DECISIONS as string[]).includes(value);

/** `key=value, key=value` → pairs; used by every list-valued setting so env and YAML read alike. */
export function parsePairs(spec: string): Array<[string, string]> {
  return spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.lastIndexOf('=');
      if (at <= 0) throw new Error(`"${part}" is not key=value`);
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    });
}

/**
 * Defaults per risk, plus optional entries per tool or per tool group
 * ("read=allow,write=deny,send_email=ask,mcp:github:*=ask").
 */
export interface RoleTools {
  byRisk: Record<ToolRisk, Decision>;
  byTool: Record<string, Decision>;
}

export function parseRoleTools(spec: string): RoleTools {
  const result: RoleTools = { byRisk: { read: 'deny', write: 'deny', external: 'deny' }, byTool: {} };
  for (const [key, value] of parsePairs(spec)) {
    if (!isDecision(value)) throw new Error(`"${value}" is not allow, ask or deny`);
    if (key === 'read' || key === 'write' || key === 'external') result.byRisk[key] = value;
    else result.byTool[key] = value;
  }
  return result;
}

/** What a tool looks like to the rules: its name, risk, group and its own defaults per role. */
export interface RuledTool {
  name: string;
  risk: ToolRisk;
  group?: string;
  defaultDecision?: Partial<Record<Role, Decision>>;
}

/** The grant key that names every tool of a group: `mcp:github:*`. */
export const groupKey = (group: string): string => `${group}:*`;
/** The grant key that names every tool of a risk level: `risk:external`. */
export const riskKey = (risk: ToolRisk): string => `risk:${risk}`;

/** Where a decision came from: a per-person grant, the role's rules, or the tool's own default. */
export type RuleSource = 'grant' | 'role' | 'tool';

/**
 * One person's decision for one tool, most specific rule first: their own grant for the tool,
 * for its group, for its risk level; then the role's rule for the tool or its group; then the
 * tool's own default for the role (a private-data reader denies guests); then the role's
 * default for the risk level.
 */
export function effectiveDecision(role: Role, roleTools: RoleTools, grants: Record<string, Decision>, tool: RuledTool): { decision: Decision; source: RuleSource } {
  const group = tool.group ? groupKey(tool.group) : undefined;
  const granted = grants[tool.name] ?? (group ? grants[group] : undefined) ?? grants[riskKey(tool.risk)];
  if (granted) return { decision: granted, source: 'grant' };
  const byRole = roleTools.byTool[tool.name] ?? (group ? roleTools.byTool[group] : undefined);
  if (byRole) return { decision: byRole, source: 'role' };
  const own = tool.defaultDecision?.[role];
  if (own) return { decision: own, source: 'tool' };
  return { decision: roleTools.byRisk[tool.risk], source: 'role' };
}

export function parseRoleNames(spec: string): Record<Role, string> {
  const names: Record<Role, string> = { owner: 'owner', member: 'member', guest: 'guest' };
  for (const [role, name] of parsePairs(spec)) {
    if (!isRole(role)) throw new Error(`"${role}" is not owner, member or guest`);
    if (name) names[role] = name;
  }
  return names;
}

/** Accepts a role by its own name or its configured display name ("family" → member). */
export function roleFromName(input: string, names: Record<Role, string>): Role | undefined {
  const wanted = input.trim().toLowerCase();
  return ROLES.find((role) => role === wanted || names[role].toLowerCase() === wanted);
}

/**
 * Unknown-sender rules, most specific first: `<platform>:<room id>`, `<platform>:direct|group`,
 * `<platform>`, `direct|group`, `*`. Anything not matched is refused.
 */
export type UnknownSenderRules = Map<string, UnknownSenderPolicy>;

export function parseUnknownSenderRules(spec: string): UnknownSenderRules {
  const rules: UnknownSenderRules = new Map();
  for (const [scope, policy] of parsePairs(spec)) {
    if (policy !== 'refuse' && policy !== 'pairing' && policy !== 'open') throw new Error(`"${policy}" is not refuse, pairing or open`);
    rules.set(scope, policy);
  }
  return rules;
}

export function unknownSenderPolicy(rules: UnknownSenderRules, platform: string, conversation: ConversationRef): UnknownSenderPolicy {
  const candidates = [`${platform}:${conversation.id}`, `${platform}:${conversation.kind}`, platform, conversation.kind, '*'];
  for (const scope of candidates) {
    const policy = rules.get(scope);
    if (policy) return policy;
  }
  return 'refuse';
}

/** Validates a setting at load time, so a typo stops start with a clear message. */
export function validSpec(parse: (spec: string) => unknown): (spec: string) => boolean {
  return (spec) => {
    try {
      parse(spec);
      return true;
    } catch {
      return false;
    }
  };
}
