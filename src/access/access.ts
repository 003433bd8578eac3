/**
 * Everything about who may do what, assembled once from configuration and shared by the chat
 * stages and commands, the admin API and the `hearth people` command.
 */
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import type { AuditLog } from '../audit/audit.ts';
import type { ToolDefinition } from '../tools/tool.ts';
import type { ToolCatalog } from '../tools/catalog.ts';
import type { Permissions } from '../tools/permissions.ts';
import type { TurnContext } from '../pipeline/context.ts';
import { queueNotice } from '../pipeline/outbox.ts';
import { parseRoleNames, parseRoleTools, parseUnknownSenderRules, unknownSenderPolicy, type Role, type UnknownSenderRules } from './policy.ts';
import { People, type Person } from './people.ts';
import { Grants } from './grants.ts';
import { Approvals, type Notify } from './approvals.ts';
import { Pairing } from './pairing.ts';
import { Linking } from './linking.ts';
import type { Contacts } from './contacts.ts';
import { TokenUsage } from './usage.ts';
import { OwnerClaims } from './claim.ts';

export interface AccessDependencies {
  config: Config;
  database: Database;
  audit: AuditLog;
  people: People;
  contacts: Contacts;
  notify: Notify;
  /** Every tool Hearth knows, where each came from and how its sources are doing (MCP servers). */
  catalog: ToolCatalog;
  /** Platforms that can deliver messages now. */
  platforms: () => string[];
}

export interface Access {
  config: Config;
  database: Database;
  audit: AuditLog;
  people: People;
  roleNames: Record<Role, string>;
  roleName(person: Pick<Person, 'role'>): string;
  grants: Grants;
  approvals: Approvals;
  pairing: Pairing;
  linking: Linking;
  claims: OwnerClaims;
  contacts: Contacts;
  usage: TokenUsage;
  unknownSenders: UnknownSenderRules;
  /** The sender's permissions for this turn, from their role, the tools' own defaults and their grants. */
  permissionsFor(person: Person, turn: TurnContext): Promise<Permissions>;
  tools(): ToolDefinition[];
  sourceOf(tool: string): string | undefined;
  sources(): ReturnType<ToolCatalog['status']>;
}

export function createAccess(deps: AccessDependencies): Access {
  const { config, database, audit, people } = deps;
  const roleNames = parseRoleNames(config.access.roleNames);
  const roleName = (person: Pick<Person, 'role'>) => roleNames[person.role];
  const roleTools = { owner: parseRoleTools(config.access.ownerTools), member: parseRoleTools(config.access.memberTools), guest: parseRoleTools(config.access.guestTools) };
  const { contacts } = deps;
  const tools = () => deps.catalog.list();
  const grants = new Grants(database.db, audit, roleTools, tools);
  const approvals = new Approvals({
    db: database.db,
    audit,
    people,
    contacts,
    notify: deps.notify,
    platforms: deps.platforms,
    approvers: config.access.approvers.split(',').map((s) => s.trim()).filter(Boolean),
    timeoutMs: config.access.approvalTimeoutMs,
    // One turn slot must stay free to hear the approver's answer.
    maxWaiting: Math.max(0, config.agent.concurrency - 1),
    roleName,
  });
  const usage = new TokenUsage(database.db, config.limits);
  return {
    config,
    database,
    audit,
    people,
    roleNames,
    roleName,
    grants,
    approvals,
    contacts,
    usage,
    pairing: new Pairing({ db: database.db, audit, people, notify: deps.notify, agentName: config.agent.name, codeTtlMs: config.access.pairingCodeTtlMs, maxPending: config.access.maxPendingPairings }),
    linking: new Linking({ database, audit, people, codeTtlMs: config.access.linkCodeTtlMs, onMerge: () => contacts.forget() }),
    claims: new OwnerClaims({ database, audit, people, agentName: config.agent.name, codeTtlMs: config.access.claimCodeTtlMs, onMerge: () => contacts.forget() }),
    unknownSenders: parseUnknownSenderRules(config.access.unknownSenders),
    tools,
    sourceOf: (tool) => deps.catalog.sourceOf(tool),
    sources: () => deps.catalog.status(),
    async permissionsFor(person, turn) {
      // Identify read them with the sender; a turn a routine started reads them here.
      const own = turn.person?.id === person.id && turn.grants ? turn.grants : await grants.of(person.id);
      const origin = { requester: person, platform: turn.message.platform, conversation: turn.message.conversation };
      return {
        decide: (tool) => grants.effective(person, own, tool),
        requestApproval: (request) => approvals.request(origin, request),
        recordTokens: (tokens) => usage.add(person.id, tokens),
      };
    },
  };
}

export function policyFor(access: Access, turn: TurnContext) {
  return unknownSenderPolicy(access.unknownSenders, turn.message.platform, turn.message.conversation);
}

/**
 * Without a running gateway (the CLI on a shared Postgres), a notice is queued in the outbox;
 * whichever gateway runs delivers it.
 */
export function outboxNotify(database: Database): Notify {
  return async (target) => {
    await queueNotice(database, target);
  };
}
