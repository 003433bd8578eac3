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
import { atLeast, roleDecision, type Decision, type Role, type RoleTools } from './policy.ts';
import type { Person } from './people.ts';

export interface Actor {
  person: Person;
  /** chat, cli or admin-api: CLI and API callers act with the owner's authority. */
  via: 'chat' | 'cli' | 'admin-api';
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

  effective(person: Pick<Person, 'role'>, grants: Record<string, Decision>, tool: Pick<ToolDefinition, 'name' | 'risk'>): { decision: Decision; source: 'role' | 'grant' } {
    const granted = grants[tool.name];
    return granted ? { decision: granted, source: 'grant' } : { decision: roleDecision(this.roleTools[person.role], tool), source: 'role' };
  }

  /** Every known tool with this person's decision, for /whois and `hearth people show`. */
  async table(person: Person): Promise<Array<{ tool: string; risk: string; decision: Decision; source: 'role' | 'grant' }>> {
    const grants = await this.of(person.id);
    const known = this.tools();
    const rows: Array<{ tool: string; risk: string; decision: Decision; source: 'role' | 'grant' }> = known.map((tool) => ({ tool: tool.name, risk: tool.risk, ...this.effective(person, grants, tool) }));
    for (const [tool, decision] of Object.entries(grants)) if (!known.some((t) => t.name === tool)) rows.push({ tool, risk: 'unknown', decision, source: 'grant' });
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
    const tool = this.tools().find((t) => t.name === toolName);
    const grants = await this.of(target.id);
    const before = tool ? this.effective(target, grants, tool).decision : grants[toolName];
    const after = decision ?? (tool ? roleDecision(this.roleTools[target.role], tool) : undefined);
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
    const unknownNote = tool ? '' : ` (no tool called "${toolName}" is loaded right now; the grant applies if one appears)`;
    return { ok: true, text: decision ? `${target.displayName}: ${toolName} → ${decision}${unknownNote}.` : `${target.displayName}: ${toolName} is back to the ${target.role} default${after ? ` (${after})` : ''}${unknownNote}.` };
  }

  /** Why this change is not allowed, or undefined when it is. */
  private async refusal(actor: Actor, target: Person, tool: ToolDefinition | undefined, toolName: string, before: Decision | undefined, after: Decision | undefined): Promise<string | undefined> {
    if (actor.person.role === 'owner') return undefined;
    const lowers = (a: Decision | undefined, b: Decision | undefined) => a !== undefined && b !== undefined && atLeast(b, a);
    if (actor.person.id === target.id) {
      // Restricting yourself is always fine; raising yourself never is.
      return lowers(after, before) ? undefined : "You can't give yourself more permissions than you have. Ask the owner.";
    }
    if (actor.person.role !== 'member' || target.role !== 'guest') return 'Only the owner can change the permissions of this person.';
    if (!tool) return `There is no tool called "${toolName}".`;
    const own = this.effective(actor.person, await this.of(actor.person.id), tool).decision;
    if (own !== 'allow') return `You can only share tools you may use yourself without asking, and ${toolName} is "${own}" for you.`;
    if (after && !atLeast(own, after)) return "You can't give more than you have.";
    return undefined;
  }
}
