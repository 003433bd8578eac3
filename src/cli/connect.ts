/**
 * `hearth connect calendar|mail --person NAME` and `hearth disconnect …`: the owner connects an
 * account for someone (or the household calendar). On a terminal it asks for what is missing,
 * the password with hidden input; scripts pass --password-env VAR naming a variable that holds
 * it, so a password never sits in the shell history or the process list.
 */
import type { Command } from 'commander';
import { runAdmin } from './people.ts';

interface ConnectOptions {
  person?: string;
  household?: boolean;
  share?: string;
  url?: string;
  imapUrl?: string;
  smtpUrl?: string;
  username?: string;
  address?: string;
  passwordEnv?: string;
}

const message = (result: { message: string }) => result.message;

async function ask(options: ConnectOptions, kind: string): Promise<ConnectOptions & { password?: string }> {
  const filled: ConnectOptions & { password?: string } = { ...options };
  if (options.passwordEnv) {
    const password = process.env[options.passwordEnv];
    if (!password) throw new Error(`--password-env ${options.passwordEnv}: that environment variable is not set or empty`);
    filled.password = password;
  }
  if (!process.stdin.isTTY) return filled;
  const { input, password } = await import('@inquirer/prompts');
  if (kind === 'calendar') filled.url ??= await input({ message: 'CalDAV address of the calendar (e.g. https://cloud.example.org/remote.php/dav/):' });
  if (kind === 'mail') {
    filled.imapUrl ??= await input({ message: 'IMAP address (e.g. imaps://mail.example.org:993):' });
    filled.smtpUrl ??= await input({ message: 'SMTP address (e.g. smtp://mail.example.org:587):' });
  }
  filled.username ??= await input({ message: 'User name:' });
  if (kind === 'mail' && !filled.username.includes('@')) filled.address ??= await input({ message: 'Email address to send from:' });
  filled.password ??= await password({ message: 'Password (hidden; an app password if your provider has them):', mask: false });
  return filled;
}

export function registerConnectCommands(program: Command): void {
  program
    .command('connect <kind>')
    .description("connect someone's calendar or mailbox (kind: calendar or mail); the password is checked on the server and stored encrypted")
    .option('--person <person>', 'whose account: an id, platform:account or a unique name')
    .option('--household', 'the household calendar the owner shares (calendar only)')
    .option('--share <people>', 'with --household: who may use it, names or ids separated by commas')
    .option('--url <url>', 'calendar: the CalDAV address')
    .option('--imap-url <url>', 'mail: imaps://host:993 or imap://host:143')
    .option('--smtp-url <url>', 'mail: smtps://host:465 or smtp://host:587')
    .option('--username <name>', 'the user name on that server')
    .option('--address <email>', 'mail: the From address, when the user name is not one')
    .option('--password-env <VAR>', 'an environment variable holding the password (never the password itself)')
    .option('--json', 'print the raw JSON result')
    .action(async (kind: string, options: ConnectOptions, command: Command) => {
      if (!options.person && !options.household) {
        process.stderr.write('say whose account it is: --person NAME (or --household for the shared calendar)\n');
        process.exitCode = 1;
        return;
      }
      let filled;
      try {
        filled = await ask(options, kind);
      } catch (error) {
        process.stderr.write(`${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const params = { kind, person: options.person, household: options.household ? 'true' : undefined, share: options.share, url: filled.url, imapUrl: filled.imapUrl, smtpUrl: filled.smtpUrl, username: filled.username, address: filled.address, password: filled.password };
      await runAdmin(command, 'connect', params, message);
    });
  program
    .command('disconnect <kind>')
    .description("remove someone's calendar or mail connection and its stored password")
    .option('--person <person>', 'whose account')
    .option('--household', 'the household calendar')
    .option('--json', 'print the raw JSON result')
    .action((kind: string, options: ConnectOptions, command: Command) => runAdmin(command, 'disconnect', { kind, person: options.person, household: options.household ? 'true' : undefined }, message));
}
