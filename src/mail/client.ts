/**
 * One person's mailbox: IMAP through imapflow (searches run on the server, so a large mailbox
 * is never downloaded; only the messages shown are fetched, and only their first bytes for a
 * preview), parsing through mailparser, sending through nodemailer over their SMTP server.
 * Every connection has deadlines and closes when the turn is aborted.
 */
// The mail libraries (about 170 modules) load on the first mail action, not with every start.
import type { ImapFlow, SearchObject } from 'imapflow';
import type { AddressObject } from 'mailparser';
import type { MailSettings } from '../vault/connections.ts';
import { accountProblem, AccountProblem } from '../vault/problems.ts';
import { snippet } from './quote.ts';

export interface MailLogin {
  settings: MailSettings;
  password: string;
  signal?: AbortSignal;
  timeoutMs: number;
}

export interface MailSummary {
  id: number;
  from: string;
  subject: string;
  date?: Date;
  unread: boolean;
  snippet: string;
}

export interface MailMessage {
  id: number;
  from: string;
  to: string;
  cc: string;
  replyTo: string;
  subject: string;
  date?: Date;
  messageId?: string;
  references: string[];
  text: string;
  attachments: Array<{ name: string; type: string; bytes: number }>;
}

export interface MailSearch {
  unreadOnly?: boolean;
  from?: string;
  subject?: string;
  text?: string;
  since?: Date;
  before?: Date;
  limit: number;
}

export interface OutgoingMail {
  to: string[];
  cc?: string[];
  subject: string;
  body: string;
  inReplyTo?: string;
  references?: string[];
}

/** The largest message read in full; bigger ones are read as far as this. */
const MAX_READ_BYTES = 2_000_000;
const PREVIEW_BYTES = 8_192;

function endpoint(url: string, kind: 'imap' | 'smtp'): { host: string; port: number; secure: boolean } {
  const parsed = new URL(url);
  const secure = parsed.protocol === `${kind}s:`;
  if (!secure && parsed.protocol !== `${kind}:`) throw new AccountProblem('mail', 'server', `${url} is not an ${kind}:// or ${kind}s:// address`);
  const port = parsed.port ? Number(parsed.port) : kind === 'imap' ? (secure ? 993 : 143) : secure ? 465 : 587;
  return { host: parsed.hostname, port, secure };
}

const addresses = (value: AddressObject | AddressObject[] | undefined) => (Array.isArray(value) ? value.map((v) => v.text).join(', ') : (value?.text ?? ''));

export class MailAccount {
  private readonly login: MailLogin;

  constructor(login: MailLogin) {
    this.login = login;
  }

  get address(): string {
    const { settings } = this.login;
    return settings.address ?? settings.username;
  }

  /** Runs `work` on a fresh IMAP session with INBOX open, then logs out. */
  private async withInbox<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const { settings, password, timeoutMs, signal } = this.login;
    const { host, port, secure } = endpoint(settings.imapUrl, 'imap');
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({ host, port, secure, auth: { user: settings.username, pass: password }, logger: false, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs, disableAutoIdle: true, tls: { servername: host } });
    // ImapFlow also reports socket errors as events; without a listener they would crash Node.
    client.on('error', () => {});
    const abort = () => client.close();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await client.connect();
      const lock = await client.getMailboxLock('INBOX');
      try {
        return await work(client);
      } finally {
        lock.release();
      }
    } catch (error) {
      if (signal?.aborted) throw new AccountProblem('mail', 'timeout', 'The turn was stopped before the mail server answered.');
      throw accountProblem('mail', error, settings.imapUrl);
    } finally {
      signal?.removeEventListener('abort', abort);
      await client.logout().catch(() => client.close());
    }
  }

  /** Logs in to IMAP and checks SMTP accepts the same credentials: for /connect. */
  async verify(): Promise<void> {
    await this.withInbox(async () => undefined);
    const transport = await this.transport();
    try {
      await transport.verify();
    } catch (error) {
      throw accountProblem('mail', error, this.login.settings.smtpUrl);
    } finally {
      transport.close();
    }
  }

  async search(query: MailSearch): Promise<MailSummary[]> {
    return this.withInbox(async (client) => {
      const criteria: SearchObject = {};
      if (query.unreadOnly) criteria.seen = false;
      if (query.from) criteria.from = query.from;
      if (query.subject) criteria.subject = query.subject;
      if (query.text) criteria.text = query.text;
      if (query.since) criteria.since = query.since;
      if (query.before) criteria.before = query.before;
      if (Object.keys(criteria).length === 0) criteria.all = true;
      const found = (await client.search(criteria, { uid: true })) || [];
      const newest = [...found].sort((a, b) => b - a).slice(0, query.limit);
      if (newest.length === 0) return [];
      const { simpleParser } = await import('mailparser');
      const messages = await client.fetchAll(newest.join(','), { uid: true, envelope: true, flags: true, internalDate: true, source: { start: 0, maxLength: PREVIEW_BYTES } }, { uid: true });
      const summaries = await Promise.all(
        messages.map(async (m) => {
          const parsed = m.source ? await simpleParser(m.source).catch(() => undefined) : undefined;
          const from = m.envelope?.from?.map((a) => (a.name ? `${a.name} <${a.address}>` : (a.address ?? ''))).join(', ') ?? '';
          return { id: m.uid, from, subject: m.envelope?.subject ?? '(no subject)', date: m.envelope?.date ? new Date(m.envelope.date) : m.internalDate ? new Date(m.internalDate) : undefined, unread: !m.flags?.has('\\Seen'), snippet: snippet(parsed?.text) };
        }),
      );
      return summaries.sort((a, b) => b.id - a.id);
    });
  }

  /** One message as text (attachments listed, not opened); left unread as it was. */
  async read(id: number): Promise<MailMessage> {
    return this.withInbox(async (client) => {
      const message = await client.fetchOne(String(id), { uid: true, source: { start: 0, maxLength: MAX_READ_BYTES } }, { uid: true });
      if (!message || !message.source) throw new AccountProblem('mail', 'server', `There is no message ${id} in the inbox (it may have been moved or deleted). List the mail again to get its id.`);
      const { simpleParser } = await import('mailparser');
      const parsed = await simpleParser(message.source);
      const references = Array.isArray(parsed.references) ? parsed.references : parsed.references ? [parsed.references] : [];
      return {
        id,
        from: addresses(parsed.from),
        to: addresses(parsed.to),
        cc: addresses(parsed.cc),
        replyTo: addresses(parsed.replyTo),
        subject: parsed.subject ?? '(no subject)',
        date: parsed.date,
        messageId: parsed.messageId,
        references,
        text: (parsed.text ?? '').trim(),
        attachments: parsed.attachments.map((a) => ({ name: a.filename ?? '(unnamed)', type: a.contentType, bytes: a.size })),
      };
    });
  }

  private async transport() {
    const { default: nodemailer } = await import('nodemailer');
    const { settings, password, timeoutMs } = this.login;
    const { host, port, secure } = endpoint(settings.smtpUrl, 'smtp');
    return nodemailer.createTransport({ host, port, secure, auth: { user: settings.username, pass: password }, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs, tls: { servername: host } });
  }

  async send(mail: OutgoingMail): Promise<string> {
    const transport = await this.transport();
    try {
      const sent = await transport.sendMail({ from: this.address, to: mail.to, cc: mail.cc, subject: mail.subject, text: mail.body, inReplyTo: mail.inReplyTo, references: mail.references });
      return sent.messageId;
    } catch (error) {
      throw accountProblem('mail', error, this.login.settings.smtpUrl);
    } finally {
      transport.close();
    }
  }
}
