/**
 * Connecting a calendar or a mailbox, the same way from the CLI, the admin API and the chat:
 * the settings are checked, the credentials are tried against the server at once (a wrong
 * password is named then, not at the first tool call), and only what works is stored.
 */

import { MailAccount } from '../mail/client.ts';
import type { CalendarSettings, ConnectionKind, Connections, Holder, MailSettings } from './connections.ts';
import { AccountProblem } from './problems.ts';

export interface ConnectInput {
  url?: string;
  imapUrl?: string;
  smtpUrl?: string;
  username?: string;
  address?: string;
  password?: string;
}

export class ConnectInputError extends Error {
  override name = 'ConnectInputError';
}

export const isConnectionKind = (text: string): text is ConnectionKind => text === 'calendar' || text === 'mail';

function need(value: string | undefined, name: string, example: string): string {
  const trimmed = value?.trim();
  if (!trimmed) throw new ConnectInputError(`${name} is missing: give it, e.g. ${example}`);
  return trimmed;
}

function url(value: string | undefined, name: string, protocols: string[], example: string): string {
  const text = need(value, name, example);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ConnectInputError(`${name} "${text}" is not an address: give one like ${example}`);
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) throw new ConnectInputError(`${name} must start with ${protocols.map((p) => `${p}://`).join(' or ')}, e.g. ${example}`);
  if (parsed.username || parsed.password) throw new ConnectInputError(`${name} must not hold a user name or password: give those separately`);
  return parsed.toString();
}

export function calendarSettings(input: ConnectInput): CalendarSettings {
  return { url: url(input.url, 'the calendar URL (--url)', ['https', 'http'], 'https://cloud.example.org/remote.php/dav/'), username: need(input.username, 'the user name (--username)', 'ann') };
}

export function mailSettings(input: ConnectInput): MailSettings {
  const username = need(input.username, 'the user name (--username)', 'ann@example.org');
  const address = input.address?.trim() || (username.includes('@') ? username : undefined);
  if (!address) throw new ConnectInputError('the email address (--address) is missing: the user name is not one, so give the From address, e.g. ann@example.org');
  return {
    imapUrl: url(input.imapUrl, 'the IMAP address (--imap-url)', ['imaps', 'imap'], 'imaps://mail.example.org:993'),
    smtpUrl: url(input.smtpUrl, 'the SMTP address (--smtp-url)', ['smtps', 'smtp'], 'smtp://mail.example.org:587'),
    username,
    address,
  };
}

/** Tries the credentials on the server; throws AccountProblem when they do not work. */
export async function verifyAccount(kind: ConnectionKind, settings: CalendarSettings | MailSettings, password: string, timeoutMs: number): Promise<string> {
  if (kind === 'calendar') {
    const { CalendarAccount } = await import('../calendar/client.ts');
    const account = await CalendarAccount.open({ settings: settings as CalendarSettings, password, timeoutMs });
    return `calendar "${account.name}" at ${new URL((settings as CalendarSettings).url).host}`;
  }
  await new MailAccount({ settings: settings as MailSettings, password, timeoutMs }).verify();
  return `mailbox ${(settings as MailSettings).address} (IMAP ${new URL((settings as MailSettings).imapUrl).host}, SMTP ${new URL((settings as MailSettings).smtpUrl).host})`;
}

/** Checks, verifies and stores a connection; returns what was connected, in words. */
export async function connectAccount(vault: Connections, holder: Holder, kind: ConnectionKind, input: ConnectInput, timeoutMs: number): Promise<string> {
  const settings = kind === 'calendar' ? calendarSettings(input) : mailSettings(input);
  const password = input.password;
  if (!password) throw new ConnectInputError('the password is missing (for scripts: --password-env VAR naming an environment variable that holds it)');
  const described = await verifyAccount(kind, settings, password, timeoutMs);
  await vault.save(holder, kind, { settings, password } as never);
  return described;
}

export { AccountProblem };
