/**
 * What an owner can do from outside the chat, defined once: the admin API (admin.ts) serves
 * each operation over HTTP and `hearth people` / `hearth audit` run the same operation, either
 * directly on the database or through the API of a running Hearth (admin-client.ts). CLI and
 * API callers act with the owner's authority; every change is audited with how it was made.
 */
import { ollamaPoolFor } from '../agent/pool.ts';
import type { Access } from '../access/access.ts';
import type { Actor } from '../access/grants.ts';
import { describePerson } from '../access/commands.ts';
import { mergePeople } from '../access/merge.ts';
import { accountLabel, CONSOLE_OWNER_ACCOUNT, parseAccount, parseOwnerAccounts, type Person } from '../access/people.ts';
import { isDecision, roleFromName } from '../access/policy.ts';
import { pruneAuditLog, verifyAuditChain } from '../audit/verify.ts';
import { backupResponse } from '../backup/serve.ts';
import { BackupError } from '../backup/errors.ts';
import { toolTable } from '../access/tool-table.ts';
import type { Holder } from '../vault/connections.ts';
import { vaultFor } from '../vault/vault-for.ts';
import { AccountProblem, ConnectInputError, connectAccount, isConnectionKind } from '../vault/connect.ts';
import { createEmbedder } from '../memory/embedder.ts';
import { findMemories, forgetMemory } from '../memory/governance.ts';
import { MemoryStore } from '../memory/store.ts';
import { exportLine } from '../memory/transfer.ts';
import { createLogger } from '../log.ts';
import { createLoginLink } from '../web/login-links.ts';

export type Params = Record<string, string | undefined>;

export class OperationError extends Error {
  override name = 'OperationError';
  readonly status: 400 | 403 | 404 | 409;
  constructor(status: 400 | 403 | 404 | 409, message: string) {
    super(message);
    this.status = status;
  }
}

export interface Operation {
  method: 'GET' | 'POST' | 'DELETE';
  /** Hono path; `:name` segments become params. */
  path: string;
  run(access: Access, params: Params, via: Actor['via']): Promise<unknown>;
}

async function owner(access: Access, via: Actor['via']): Promise<Actor> {
  const person = (await access.people.owner()) ?? (await access.people.ensureOwner(parseOwnerAccounts(access.config.owner)));
  return { person, via };
}

async function person(access: Access, reference: string | undefined): Promise<Person> {
  const found = reference ? await access.people.find(reference) : undefined;
  if (!found) throw new OperationError(404, `nobody matches "${reference ?? ''}": use a person id, platform:account, or a unique name`);
  return found;
}

/** The people a comma-separated list names (`--share anna,bob`); an empty list is nobody. */
function peopleNamed(access: Access, list: string): Promise<Person[]> {
  return Promise.all(list.split(',').map((s) => s.trim()).filter(Boolean).map((reference) => person(access, reference)));
}

/** The pending pairing request a code (chat, CLI) or an id (web admin) names, for the owner; wrong ones count towards the throttle. */
async function pendingPairing(access: Access, params: Params, via: Actor['via'], verb: 'approve' | 'deny') {
  const actor = await owner(access, via);
  const throttled = await access.pairing.throttled(actor);
  if (throttled) throw new OperationError(403, throttled);
  const request = params.id ? await access.pairing.findPendingById(Number(params.id)) : await access.pairing.findPending(required(params, 'code'));
  if (!request) throw new OperationError(404, await access.pairing.wrongCode(actor, verb));
  return { actor, request };
}

function required(params: Params, name: string): string {
  const value = params[name]?.trim();
  if (!value) throw new OperationError(400, `"${name}" is required`);
  return value;
}

function account(text: string) {
  const parsed = parseAccount(text);
  if (!parsed.platform || !parsed.accountId) throw new OperationError(400, `"${text}" is not platform:account (e.g. telegram:123456789)`);
  return parsed;
}

function date(text: string | undefined, name: string): Date | undefined {
  if (!text) return undefined;
  const relative = /^(\d+)([mhd])$/.exec(text);
  const parsed = relative ? new Date(Date.now() - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd']) : new Date(text);
  if (Number.isNaN(parsed.getTime())) throw new OperationError(400, `"${name}" must be a date (2026-01-31, 2026-01-31T12:00Z) or an age like 30m, 12h, 7d`);
  return parsed;
}

const vaultOf = (access: Access) => vaultFor(access.config, access.database);

function connectionKind(params: Params) {
  const kind = required(params, 'kind');
  if (!isConnectionKind(kind)) throw new OperationError(400, `"${kind}" is not calendar or mail`);
  return kind;
}

/** A person, or the household calendar (`household=true`, owner's only). */
async function holderOf(access: Access, params: Params, kind: string): Promise<{ holder: Holder; name: string }> {
  if (params.household === 'true' || params.person === 'household') {
    if (kind !== 'calendar') throw new OperationError(400, 'only a calendar can be the household\'s; mail is always one person\'s');
    return { holder: 'household', name: 'the household' };
  }
  const target = await person(access, params.person);
  return { holder: { personId: target.id }, name: target.displayName };
}

/** Listing, exporting and deleting need no embeddings, so a store without a live model will do. */
const stores = new WeakMap<Access, MemoryStore>();
function memoryStore(access: Access): MemoryStore {
  let store = stores.get(access);
  if (!store) {
    const { ollama, memory } = access.config;
    const embedder = createEmbedder({ host: ollamaPoolFor(access.config), model: ollama.embedModel, keepAlive: ollama.keepAlive, timeoutMs: ollama.embedTimeoutMs });
    store = new MemoryStore({ database: access.database, embedder, log: createLogger({ level: 'silent' }), maxChars: memory.maxChars });
    stores.set(access, store);
  }
  return store;
}

export const operations = {
  list: {
    method: 'GET',
    path: '/admin/people',
    async run(access) {
      const people = (await access.people.list()).map((p) => ({ ...p, roleName: access.roleName(p) }));
      return { people, pendingPairings: await access.pairing.pending() };
    },
  },
  show: {
    method: 'GET',
    path: '/admin/people/:person',
    async run(access, params) {
      const found = await person(access, params.person);
      return { person: await access.people.details(found.id), roleName: access.roleName(found), tools: await access.grants.table(found), tokensToday: await access.usage.usedToday(found.id), tokenLimit: access.usage.limitFor(found.role), summary: await describePerson(access, found) };
    },
  },
  role: {
    method: 'POST',
    path: '/admin/people/:person/role',
    async run(access, params, via) {
      const actor = await owner(access, via);
      const target = await person(access, params.person);
      const role = roleFromName(required(params, 'role'), access.roleNames);
      if (!role) throw new OperationError(400, `"${params.role}" is not a role: use member or guest (or their names: ${access.roleNames.member}, ${access.roleNames.guest})`);
      if (role === 'owner' || target.role === 'owner') throw new OperationError(403, 'the owner is whoever HEARTH_OWNER names or claimed it with `hearth owner claim`; use those instead');
      await access.people.setRole(target.id, role);
      await access.audit.record({ kind: 'role.changed', actorPersonId: actor.person.id, subject: target.id, detail: { from: target.role, to: role, via } });
      return { person: target.id, from: target.role, to: role };
    },
  },
  grant: {
    method: 'POST',
    path: '/admin/people/:person/grants',
    async run(access, params, via) {
      const decision = required(params, 'decision').toLowerCase();
      if (!isDecision(decision)) throw new OperationError(400, '"decision" must be allow, ask or deny');
      const result = await access.grants.set(await owner(access, via), await person(access, params.person), required(params, 'tool'), decision);
      if (!result.ok) throw new OperationError(403, result.text);
      return { message: result.text };
    },
  },
  revoke: {
    method: 'DELETE',
    path: '/admin/people/:person/grants/:tool',
    async run(access, params, via) {
      const result = await access.grants.revoke(await owner(access, via), await person(access, params.person), required(params, 'tool'));
      if (!result.ok) throw new OperationError(403, result.text);
      return { message: result.text };
    },
  },
  link: {
    method: 'POST',
    path: '/admin/people/:person/accounts',
    async run(access, params, via) {
      const actor = await owner(access, via);
      const target = await person(access, params.person);
      const ref = account(required(params, 'account'));
      const holder = await access.people.findByAccount(ref);
      if (holder?.id === target.id) return { message: `${accountLabel(ref)} already belongs to ${target.displayName}` };
      if (!holder) {
        await access.people.attach(target.id, ref);
        await access.audit.record({ kind: 'person.linked', actorPersonId: actor.person.id, subject: target.id, detail: { account: accountLabel(ref), via } });
        return { message: `${accountLabel(ref)} now belongs to ${target.displayName}` };
      }
      const merged = await mergePeople(access.database, target, holder, target);
      access.contacts.forget();
      await access.audit.record({ kind: 'person.merged', actorPersonId: actor.person.id, subject: merged.survivor.id, detail: { absorbed: merged.absorbed.id, absorbedName: merged.absorbed.displayName, account: accountLabel(ref), moved: merged.moved, via } });
      return { message: `${merged.absorbed.displayName} and ${merged.survivor.displayName} are now one person (${merged.survivor.id})`, survivor: merged.survivor.id, moved: merged.moved };
    },
  },
  unlink: {
    method: 'DELETE',
    path: '/admin/people/:person/accounts/:account',
    async run(access, params, via) {
      const actor = await owner(access, via);
      const target = await person(access, params.person);
      const ref = account(required(params, 'account'));
      const configured = [CONSOLE_OWNER_ACCOUNT, ...parseOwnerAccounts(access.config.owner)].some((a) => accountLabel(a) === accountLabel(ref));
      if (configured) throw new OperationError(403, `${accountLabel(ref)} is the owner's by configuration (HEARTH_OWNER); change that setting instead`);
      const holder = await access.people.findByAccount(ref);
      if (holder?.id !== target.id) throw new OperationError(404, `${accountLabel(ref)} does not belong to ${target.displayName}`);
      await access.people.detach(ref);
      await access.audit.record({ kind: 'person.unlinked', actorPersonId: actor.person.id, subject: target.id, detail: { account: accountLabel(ref), via } });
      return { message: `${accountLabel(ref)} no longer belongs to ${target.displayName}` };
    },
  },
  approve: {
    method: 'POST',
    path: '/admin/pairing/:code/approve',
    async run(access, params, via) {
      const { actor, request } = await pendingPairing(access, params, via, 'approve');
      const result = await access.pairing.approve(actor, request);
      return { message: result.text, person: result.person?.id };
    },
  },
  deny: {
    method: 'POST',
    path: '/admin/pairing/:code/deny',
    async run(access, params, via) {
      const { actor, request } = await pendingPairing(access, params, via, 'deny');
      return { message: await access.pairing.deny(actor, request) };
    },
  },
  ownerClaimOpen: {
    method: 'POST',
    path: '/admin/owner/claims',
    // The code comes back once, to whoever may run Hearth's own commands; /claim CODE then makes an account the owner.
    run: (access, params, via) => access.claims.open(params.for === 'setup' ? 'setup' : via === 'admin-api' ? 'admin-api' : 'cli'),
  },
  ownerClaimStatus: {
    method: 'GET',
    path: '/admin/owner/claims/:id',
    async run(access, params) {
      const status = await access.claims.status(Number(required(params, 'id')));
      if (!status) throw new OperationError(404, `no owner claim ${params.id}`);
      return status;
    },
  },
  approvals: {
    method: 'GET',
    path: '/admin/approvals',
    async run(access) {
      const rows = await access.approvals.pending();
      const people = new Map((await access.people.list()).map((p) => [p.id, p.displayName]));
      return { approvals: rows.map(({ code: _code, ...row }) => ({ ...row, requesterName: row.requesterPersonId ? (people.get(row.requesterPersonId) ?? row.requesterPersonId) : null })) };
    },
  },
  approvalDecide: {
    method: 'POST',
    path: '/admin/approvals/:id/:decision',
    async run(access, params, via) {
      const decision = required(params, 'decision');
      if (decision !== 'approve' && decision !== 'deny') throw new OperationError(400, '"decision" must be approve or deny');
      const row = await access.approvals.pendingById(Number(required(params, 'id')));
      if (!row) throw new OperationError(404, `no pending tool approval ${params.id}: it was answered or has expired`);
      return { message: await access.approvals.decide(await owner(access, via), row, decision === 'approve') };
    },
  },
  memories: {
    method: 'GET',
    path: '/admin/memories',
    async run(access, params) {
      const personId = params.person ? (await person(access, params.person)).id : undefined;
      return { memories: await findMemories(access.database, { personId, search: params.search, limit: params.limit ? Number(params.limit) : undefined }) };
    },
  },
  memoryForget: {
    method: 'DELETE',
    path: '/admin/memories/:id',
    async run(access, params, via) {
      const id = required(params, 'id');
      if (!/^\d{1,15}$/.test(id)) throw new OperationError(400, `"${id}" is not a memory number`);
      const actor = await owner(access, via);
      const removed = await forgetMemory(memoryStore(access), access.audit, Number(id), { actorPersonId: actor.person.id, platform: via, via });
      if (!removed) throw new OperationError(404, `no memory #${id}`);
      return { message: `forgot memory #${removed.id}`, memory: removed.id };
    },
  },
  memoryExport: {
    method: 'GET',
    path: '/admin/memories/export',
    /** JSONL in `hearth memory export`'s format: one person's private memories, or all. */
    async run(access, params) {
      const personId = params.person ? (await person(access, params.person)).id : undefined;
      const lines: string[] = [];
      for await (const row of memoryStore(access).exportAll({ personId })) lines.push(exportLine(row));
      const name = `hearth-memories${personId ? `-${personId}` : ''}.jsonl`;
      return new Response(lines.map((line) => `${line}\n`).join(''), { headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` } });
    },
  },
  loginLink: {
    method: 'POST',
    path: '/admin/web/login-links',
    /** A one-time sign-in for the web admin (`hearth admin link`); the secret is shown once. */
    run: (access, _params, via) => createLoginLink(access.database.db, via),
  },
  tools: {
    method: 'GET',
    path: '/admin/tools',
    run: (access) => toolTable(access),
  },
  auditSearch: {
    method: 'GET',
    path: '/admin/audit',
    async run(access, params) {
      const personId = params.person ? (await person(access, params.person)).id : undefined;
      const limit = params.limit ? Number(params.limit) : undefined;
      if (limit !== undefined && !(limit > 0)) throw new OperationError(400, '"limit" must be a positive number');
      const records = await access.audit.search({ personId, tool: params.tool, kind: params.kind, since: date(params.since, 'since'), until: date(params.until, 'until'), limit });
      return { records };
    },
  },
  auditVerify: {
    method: 'GET',
    path: '/admin/audit/verify',
    run: (access) => verifyAuditChain(access.database),
  },
  auditPrune: {
    method: 'POST',
    path: '/admin/audit/prune',
    async run(access, params, via) {
      const before = date(params.before, 'before') ?? (access.config.audit.retentionDays ? new Date(Date.now() - access.config.audit.retentionDays * 86_400_000) : undefined);
      if (!before) throw new OperationError(400, 'retention is off (HEARTH_AUDIT_RETENTION_DAYS=0); give "before" to prune anyway');
      return pruneAuditLog(access.database, before, { personId: (await owner(access, via)).person.id, via });
    },
  },
  connect: {
    method: 'POST',
    path: '/admin/connections/:kind',
    /** Checks the credentials on the server at once, then stores them sealed. The password never comes back. */
    async run(access, params, via) {
      const actor = await owner(access, via);
      const kind = connectionKind(params);
      const { holder, name } = await holderOf(access, params, kind);
      const vault = vaultOf(access);
      let connected: string;
      try {
        connected = await connectAccount(vault, holder, kind, { url: params.url, imapUrl: params.imapUrl, smtpUrl: params.smtpUrl, username: params.username, address: params.address, password: params.password }, access.config.accounts.timeoutMs);
      } catch (error) {
        if (error instanceof ConnectInputError || error instanceof AccountProblem) throw new OperationError(400, error.message);
        throw error;
      }
      let sharedWith: string[] | undefined;
      if (holder === 'household' && params.share !== undefined) {
        const sharers = await peopleNamed(access, params.share);
        await vault.shareHousehold(sharers.map((p) => p.id));
        sharedWith = sharers.map((p) => p.displayName);
      }
      await access.audit.record({ kind: 'connection.saved', actorPersonId: actor.person.id, subject: holder === 'household' ? 'household' : holder.personId, detail: { kind, connected, sharedWith, via } });
      return { message: `Connected ${name}'s ${connected}${sharedWith ? `; shared with ${sharedWith.join(', ') || 'nobody'}` : ''}` };
    },
  },
  share: {
    method: 'POST',
    path: '/admin/connections/calendar/share',
    async run(access, params, via) {
      const actor = await owner(access, via);
      const sharers = await peopleNamed(access, params.share ?? '');
      if (!(await vaultOf(access).shareHousehold(sharers.map((p) => p.id)))) throw new OperationError(404, 'no household calendar yet: connect one with `hearth connect calendar --household`');
      await access.audit.record({ kind: 'connection.shared', actorPersonId: actor.person.id, subject: 'household', detail: { with: sharers.map((p) => p.id), via } });
      return { message: `The household calendar is shared with ${sharers.map((p) => p.displayName).join(', ') || 'nobody but the owner'}` };
    },
  },
  disconnect: {
    method: 'DELETE',
    path: '/admin/connections/:kind',
    async run(access, params, via) {
      const actor = await owner(access, via);
      const kind = connectionKind(params);
      const { holder, name } = await holderOf(access, params, kind);
      if (!(await vaultOf(access).remove(holder, kind))) throw new OperationError(404, `${name} has no ${kind} connected`);
      await access.audit.record({ kind: 'connection.removed', actorPersonId: actor.person.id, subject: holder === 'household' ? 'household' : holder.personId, detail: { kind, via } });
      return { message: `Disconnected ${name}'s ${kind}; the stored password is deleted` };
    },
  },
  backup: {
    method: 'POST',
    path: '/admin/backup',
    /** The backup file itself, streamed (`hearth backup` while this Hearth holds the embedded database). */
    async run(access) {
      try {
        return await backupResponse(access.database, access.config);
      } catch (error) {
        if (error instanceof BackupError) throw new OperationError(409, error.message);
        throw error;
      }
    },
  },
} satisfies Record<string, Operation>;

export type OperationName = keyof typeof operations;
