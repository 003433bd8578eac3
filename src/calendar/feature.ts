/**
 * Calendars as a gateway feature: the calendar tools, on each sender's own CalDAV calendar and
 * the household calendar the owner shares. Nothing runs in the background.
 */
import type { FeatureFactory } from '../pipeline/feature.ts';
import { vaultFor } from '../vault/vault-for.ts';
import { Calendars } from './calendars.ts';
import { calendarTools } from './tools.ts';

export const calendarFeature: FeatureFactory = (deps) => ({
  name: 'calendar',
  tools: calendarTools(new Calendars(vaultFor(deps.config, deps.database), deps.config.accounts.timeoutMs)),
});
