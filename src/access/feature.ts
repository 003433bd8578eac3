/**
 * People, permissions and audit as a gateway feature: the sender's permissions on every turn,
 * unknown senders by room policy (refuse, pairing, open), /claim, /link and the owner's commands, the
 * daily token budget, the admin API, and audit retention.
 */
import type { FeatureDependencies, FeatureFactory } from '../pipeline/feature.ts';
import type { TurnContext } from '../pipeline/context.ts';
import { parseCommand } from '../pipeline/stages/commands.ts';
import { pruneAuditLog } from '../audit/verify.ts';
import { adminRoutes } from '../http/admin.ts';
import { createAccess, policyFor, type Access } from './access.ts';
import { accessCommands } from './commands.ts';
import { budgetStage, senderStage } from './stages.ts';
import type { Person } from './types.ts';

const DAY_MS = 86_400_000;

async function unknownSender(access: Access, turn: TurnContext): Promise<'handled' | Person | undefined> {
  const { platform, sender } = turn.message;
  const command = parseCommand(turn.message.text);
  if (command?.name === 'claim') {
    // Whoever holds the code from the owner's terminal is about to become the owner: not a stranger.
    turn.replies.push({ kind: 'notice', text: await access.claims.redeem({ platform, accountId: sender.accountId, displayName: sender.displayName }, undefined, command.args) });
    turn.outcome = 'done';
    return 'handled';
  }
  if (command?.name === 'link' && command.args) {
    // Someone already known on another platform, proving it with a code: not a stranger.
    turn.replies.push({ kind: 'notice', text: await access.linking.redeem({ platform, accountId: sender.accountId, displayName: sender.displayName }, undefined, command.args) });
    turn.outcome = 'done';
    return 'handled';
  }
  const policy = policyFor(access, turn);
  if (policy === 'refuse') return undefined;
  if (policy === 'pairing') {
    await access.pairing.stranger(turn);
    return 'handled';
  }
  const guest = await access.people.create({ displayName: sender.displayName, role: 'guest', account: { platform, accountId: sender.accountId, displayName: sender.displayName } });
  await access.audit.record({ kind: 'person.joined', actorPersonId: guest.id, platform, subject: guest.id, detail: { account: `${platform}:${sender.accountId}`, conversation: turn.message.conversation.id, policy: 'open' } });
  return guest;
}

/** Access (people, grants, approvals) over a running gateway's shared parts. */
export function accessFor(deps: FeatureDependencies): Access {
  return createAccess({
    config: deps.config,
    database: deps.database,
    audit: deps.audit,
    people: deps.people,
    contacts: deps.contacts,
    notify: deps.notify,
    catalog: deps.catalog,
    platforms: () => [...deps.adapters.keys()],
  });
}

export const accessFeature: FeatureFactory = (deps) => {
  const access = accessFor(deps);
  const prune = async () => {
    const days = deps.config.audit.retentionDays;
    if (!days) return;
    const { removed } = await pruneAuditLog(deps.database, new Date(Date.now() - days * DAY_MS), { via: 'retention' });
    if (removed) deps.log.info({ removed, retentionDays: days }, 'pruned old audit records');
  };
  return {
    name: 'access',
    commands: accessCommands(access),
    stages: [
      { after: 'identify', stage: senderStage(access) },
      { after: 'limit', stage: budgetStage(access) },
    ],
    unknownSender: (turn) => unknownSender(access, turn),
    routes: (app) => adminRoutes(app, access, { token: deps.config.access.adminToken }),
    async start() {
      await access.approvals.expireStale();
      deps.every('audit-retention', DAY_MS / 4, prune, { immediately: true });
    },
  };
};
