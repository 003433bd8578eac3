/**
 * Reminders and routines as a gateway feature: the commands, the tools, the web admin's page,
 * and a check on the gateway's own timer (`deps.every`, first run at start so whatever fell due
 * while Hearth was down fires at once) that fires what is due by the gateway's clock.
 */
import type { FeatureFactory } from '../pipeline/feature.ts';
import { scheduleCommands } from './commands.ts';
import { ReminderFiring } from './fire.ts';
import { ReminderStore } from './store.ts';
import { scheduleTools } from './tools.ts';
import { remindersPage } from './admin-page.ts';

export const scheduleFeature: FeatureFactory = (deps) => {
  const store = new ReminderStore(deps.database);
  const firing = new ReminderFiring(deps, store);
  return {
    name: 'schedule',
    commands: scheduleCommands(deps, store),
    tools: scheduleTools(deps, store),
    adminPage: remindersPage(deps, store),
    async start() {
      deps.every('reminders', deps.config.schedule.checkIntervalMs, async () => void (await firing.fireDue()), { immediately: true });
    },
  };
};
