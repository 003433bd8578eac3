/** Mail as a gateway feature: the mail tools, on each sender's own mailbox only. */
import type { FeatureFactory } from '../pipeline/feature.ts';
import { vaultFor } from '../vault/vault-for.ts';
import { mailTools } from './tools.ts';

export const mailFeature: FeatureFactory = (deps) => ({
  name: 'mail',
  tools: mailTools(vaultFor(deps.config, deps.database), deps.config.accounts.timeoutMs),
});
