/**
 * Every tool with who may use it, for `hearth tools` and GET /admin/tools: the decision each role
 * gets by default (role rules and the tool's own defaults), then each person whose own grant for
 * the tool, its group or its risk level changes that. Read from the same catalogue the gateway
 * offers tools from, with the state of the sources that come and go (MCP servers).
 */
import type { SourceStatus } from '../tools/catalog.ts';
import type { Access } from './access.ts';
import { ROLES, groupKey, riskKey, type Decision, type Role } from './policy.ts';

export interface ToolRow {
  name: string;
  description: string;
  risk: string;
  source: string;
  group?: string;
  /** What each role gets without a grant of its own. */
  roles: Record<Role, Decision>;
  /** People whose own grant decides, with the key that matched (`files_read`, `mcp:files:*`, `risk:read`). */
  grants: Array<{ person: string; name: string; key: string; decision: Decision }>;
}

export async function toolTable(access: Access): Promise<{ tools: ToolRow[]; sources: Array<SourceStatus & { source: string }> }> {
  const everyone = await access.grants.everyone();
  const people = new Map((await access.people.list()).map((p) => [p.id, p]));
  const tools = access.tools().map((tool): ToolRow => {
    const roles = Object.fromEntries(ROLES.map((role) => [role, access.grants.effective({ role }, {}, tool).decision])) as Record<Role, Decision>;
    const keys = [tool.name, ...(tool.group ? [groupKey(tool.group)] : []), riskKey(tool.risk)];
    const grants: ToolRow['grants'] = [];
    for (const [personId, own] of everyone) {
      const key = keys.find((k) => own[k]);
      const person = people.get(personId);
      if (key && person) grants.push({ person: personId, name: person.displayName, key, decision: own[key]! });
    }
    return { name: tool.name, description: tool.description, risk: tool.risk, source: access.sourceOf(tool.name) ?? 'unknown', group: tool.group, roles, grants };
  });
  return { tools, sources: access.sources() };
}
