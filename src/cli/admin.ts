/**
 * `hearth admin link`: prints a one-time link that signs this browser in to the web admin
 * (http://127.0.0.1:8787/ by default) without typing the admin token. Made in the database, or
 * through the running Hearth's admin API when it holds the embedded database.
 */
import type { Command } from 'commander';
import { runningHearthUrl } from '../http/admin-client.ts';
import { loginLinkPath } from '../web/login-links.ts';
import { minutes } from '../access/codes.ts';
import { bootConfig } from './boot.ts';
import { runAdmin } from './people.ts';

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('the web admin page: sign in with a one-time link');
  admin
    .command('link')
    .description('print a link that signs you in to the web admin once (it expires after 15 minutes)')
    .action(async (_options, command: Command) => {
      const config = bootConfig(command.optsWithGlobals<{ config?: string }>().config);
      await runAdmin(command, 'loginLink', {}, (link: { token: string; expiresAt: string | Date }) => {
        const url = `${runningHearthUrl(config)}${loginLinkPath(link.token)}`;
        return `Open this link to sign in to Hearth's web admin (it works once, for ${minutes(new Date(link.expiresAt).getTime() - Date.now())}):\n\n    ${url}\n`;
      });
    });
}
