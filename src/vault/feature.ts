/**
 * People's outside accounts as a gateway feature: /connect and /disconnect in chat, and the
 * stage that takes the answers of a /connect in progress (the password among them) out of the
 * pipeline before the model or the history see them.
 */
import type { FeatureFactory } from '../pipeline/feature.ts';
import { chatConnect } from './chat-connect.ts';
import { vaultFor } from './vault-for.ts';

export const connectionsFeature: FeatureFactory = (deps) => {
  const flow = chatConnect({ vault: vaultFor(deps.config, deps.database), database: deps.database, audit: deps.audit, timeoutMs: deps.config.accounts.timeoutMs });
  return { name: 'connections', commands: flow.commands, stages: [{ after: 'limit', stage: flow.stage }] };
};
