/**
 * Per-person tool grants over role defaults, and who may change them. The rule that keeps this
 * safe: nobody ends up able to do more than the person who changed it. The owner may set
 * anything; a member may only hand a guest what the member can do outright; anyone may restrict
 * themselves; nobody may raise their own permissions. Roles change only through the owner
 * (`hearth people role`, the admin API).
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { AuditLog } from '../audit/audit.ts';
import type { ToolDefinition } from '../tools/tool.ts';
import { toolGrants } from './schema.ts';
import { atLeast, effectiveDecision, groupKey, riskKey, type Decision, type Role, type RoleTools, type RuleSource } from './policy.ts';
import type { Person } from './people.ts';

export interface Actor {
  person: Person;
  /** chat, cli, admin-api or web: CLI, API and web admin callers act with the owner's authority. */
  via: 'chat' | 'cli' | 'admin-api' | 'web';
}

export type ChangeResult = { ok: true; text: string } | { ok: false; text: string };

export class Grants {
  private readonly db: Db;
  private readonly audit: AuditLog;
  private readonly roleTools: Record<Role, RoleTools>;
  private readonly tools: () => ToolDefinition[];
  constructor(db: Db, audit: AuditLog, roleTools: Record<Role, RoleTools>, tools: () => ToolDefinition[]) {
    this.db = db;
    this.audit = audit;
    this.roleTools = roleTools;
    this.tools = tools;
  }

  async of(personId: string): Promise<Record<string, Decision>> {
    const rows = await this.db.select({ tool: toolGrants.tool, decision: toolGrants.decision }).from(toolGrants).where(eq(toolGrants.personId, personId)).orderBy(asc(toolGrants.tool));
    return Object.fromEntries(rows.map((r) => [r.tool, r.decision as Decision]));
  }

  /** Every person's own grants, for `hearth tools` (who may use each tool). */
  async everyone(): Promise<Map<string, Record<string, Decision>>> {
    const rows = await this.db.select({ personId: toolGrants.personId, tool: toolGrants.tool, decision: toolGrants.decision }).from(toolGrants).orderBy(asc(toolGrants.personId), asc(toolGrants.tool));
    const byPerson = new Map<string, Record<string, Decision>>();
    for (const row of rows) byPerson.set(row.personId, { ...byPerson.get(row.personId), [row.tool]: row.decision as Decision });
    return byPerson;
  }

  effective(person: Pick<Person, 'role'>, grants: Record<string, Decision>, tool: Pick<ToolDefinition, 'name' | 'risk' | 'group' | 'defaultDecision'>): { decision: Decision; source: RuleSource } {
    return effectiveDecision(person.role, this.roleTools[person.role], grants, tool);
  }

  /** Every known tool with this person's decision, then grants that name no loaded tool, for /whois and `hearth people show`. */
  async table(person: Person): Promise<Array<{ tool: string; risk: string; decision: Decision; source: RuleSource }>> {
    const grants = await this.of(person.id);
    const known = this.tools();
    const rows: Array<{ tool: string; risk: string; decision: Decision; source: RuleSource }> = known.map((tool) => ({ tool: tool.name, risk: tool.risk, ...this.effective(person, grants, tool) }));
    for (const [key, decision] of Object.entries(grants)) if (!known.some((t) => t.name === key)) rows.push({ tool: key, risk: describeKey(key), decision, source: 'grant' });
    return rows;
  }

  async set(actor: Actor, target: Person, toolName: string, decision: Decision): Promise<ChangeResult> {
    return this.change(actor, target, toolName, decision);
  }

  /** Back to the role default. */
  async revoke(actor: Actor, target: Person, toolName: string): Promise<ChangeResult> {
    return this.change(actor, target, toolName, undefined);
  }

  private async change(actor: Actor, target: Person, toolName: string, decision: Decision | undefined): Promise<ChangeResult> {
    const badName = toolKeyProblem(toolName);
    if (badName) return { ok: false, text: badName };
    const tool = this.tools().find((t) => t.name === toolName);
    const grants = await this.of(target.id);
    const before = tool ? this.effective(target, grants, tool).decision : grants[toolName];
    const without = Object.fromEntries(Object.entries(grants).filter(([key]) => key !== toolName));
    const after = decision ?? (tool ? this.effective(target, without, tool).decision : undefined);
    const refusal = await this.refusal(actor, target, tool, toolName, before, after);
    const kind = decision ? 'grant.set' : 'grant.revoked';
    const detail = { tool: toolName, decision: decision ?? null, before: before ?? null, after: after ?? null, via: actor.via };
    if (refusal) {
      await this.audit.record({ kind: 'grant.refused', actorPersonId: actor.person.id, subject: target.id, detail: { ...detail, reason: refusal } });
      return { ok: false, text: refusal };
    }
    if (decision) {
      await this.db
        .insert(toolGrants)
        .values({ personId: target.id, tool: toolName, decision, grantedBy: actor.via === 'chat' ? actor.person.id : actor.via })
        .onConflictDoUpdate({ target: [toolGrants.personId, toolGrants.tool], set: { decision, grantedBy: actor.via === 'chat' ? actor.person.id : actor.via, createdAt: new Date() } });
    } else {
      await this.db.delete(toolGrants).where(and(eq(toolGrants.personId, target.id), eq(toolGrants.tool, toolName)));
    }
    await this.audit.record({ kind, actorPersonId: actor.person.id, subject: target.id, detail });
    const unknownNote = tool || isPatternKey(toolName) ? '' : ` (no tool called "${toolName}" is loaded right now; the grant applies if one appears)`;
    return { ok: true, text: decision ? `${target.displayName}: ${toolName} → ${decision}${unknownNote}.` : `${target.displayName}: ${toolName} is back to the ${target.role} default${after ? ` (${after})` : ''}${unknownNote}.` };
  }

  /** Why this change is not allowed, or undefined when it is. */
  private async refusal(actor: Actor, target: Person, tool: ToolDefinition | undefined, toolName: string, before: Decision | undefined, after: Decision | undefined): Promise<string | undefined> {
    if (actor.person.role === 'owner') return undefined;
    const lowers = (a: Decision | undefined, b: Decision | undefined) => a !== undefined && b !== undefined && atLeast(b, a);
    if (actor.person.id === target.id) {
      // Restricting yourself is always fine; raising yourself never is.
      return lowers(after, before) || after === 'deny' ? undefined : "You can't give yourself more permissions than you have. Ask the owner.";
    }
    if (actor.person.role !== 'member' || target.role !== 'guest') return 'Only the owner can change the permissions of this person.';
    if (!tool) return isPatternKey(toolName) ? 'Only the owner can grant a whole group or risk level of tools.' : `There is no tool called "${toolName}".`;
    const own = this.effective(actor.person, await this.of(actor.person.id), tool).decision;
    if (own !== 'allow') return `You can only share tools you may use yourself without asking, and ${toolName} is "${own}" for you.`;
    if (after && !atLeast(own, after)) return "You can't give more than you have.";
    return undefined;
  }
}

/** Grant keys that name many tools at once: a group (`mcp:github:*`) or a risk level (`risk:write`). */
export function isPatternKey(key: string): boolean {
  return key.endsWith(':*') || /^risk:(read|write|external)$/.test(key);
}

function describeKey(key: string): string {
  if (key.endsWith(':*')) return 'group';
  if (/^risk:/.test(key)) return 'risk level';
  return 'unknown';
}

export { groupKey, riskKey };

/** Tool names, `group:<name>` and `risk:<level>`: short, plain characters, never an object's built-in key. */
const TOOL_KEY = /^[A-Za-z0-9_.:*-]{1,100}$/;
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function toolKeyProblem(name: string): string | undefined {
  if (!TOOL_KEY.test(name)) return `"${name.slice(0, 40)}${name.length > 40 ? '…' : ''}" is not a tool name: use 1–100 letters, digits, _ . : * or - (a tool's name, group:<name> or risk:<level>)`;
  if (RESERVED_KEYS.has(name)) return `"${name}" cannot be a tool name`;
  return undefined;
}
