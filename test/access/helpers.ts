/**
 * Shared pieces for the access tests: test-only tools with a write and an external risk level
 * (they record every real execution), people set up directly in the database, and waiting.
 */
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../src/tools/tool.ts';
import type { FeatureFactory } from '../../src/pipeline/feature.ts';
import type { Hearth } from '../helpers/harness.ts';
import type { Person, Role } from '../../src/access/people.ts';

export interface ToolLog {
  thermostat: Array<Record<string, unknown>>;
  messages: Array<Record<string, unknown>>;
}

/** set_thermostat (write) and send_message (external): harmless, and they record each run. */
export function testTools(): { feature: FeatureFactory; ran: ToolLog; tools: ToolDefinition[] } {
  const ran: ToolLog = { thermostat: [], messages: [] };
  const tools = [
    defineTool({
      name: 'set_thermostat',
      description: 'Set the heating to a temperature.',
      risk: 'write',
      parameters: z.object({ celsius: z.number() }),
      async run(args) {
        ran.thermostat.push(args);
        return `thermostat set to ${args.celsius}`;
      },
    }),
    defineTool({
      name: 'send_message',
      description: 'Send a message to someone outside Hearth.',
      risk: 'external',
      parameters: z.object({ to: z.string(), text: z.string(), api_token: z.string().optional(), password: z.string().optional() }),
      async run(args) {
        ran.messages.push(args);
        return `sent to ${args.to}`;
      },
    }),
  ];
  return { feature: () => ({ name: 'test-tools', tools }), ran, tools };
}

export async function addPerson(h: Hearth, displayName: string, role: Role, account: { platform?: string; accountId: string }): Promise<Person> {
  return h.hearth.gateway.people.create({ displayName, role, account: { platform: account.platform ?? 'test', accountId: account.accountId, displayName } });
}

export { until } from '../helpers/eventually.ts';

export const OWNER = 'test:owner-1';
export const ownerDm = { id: 'dm-owner', kind: 'direct' as const };
export const owner = { accountId: 'owner-1', displayName: 'Olive' };
export const bobDm = { id: 'dm-bob', kind: 'direct' as const };
export const bob = { accountId: 'bob-1', displayName: 'Bob' };
export const guestDm = { id: 'dm-gus', kind: 'direct' as const };
export const gus = { accountId: 'gus-1', displayName: 'Gus' };
