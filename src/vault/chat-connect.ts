/**
 * `/connect calendar|mail` in a direct chat: Hearth asks for each setting in turn, then the
 * password, tries it on the server, and stores it sealed. The message carrying the password is
 * taken out of the pipeline before the model or the history see it, its text is removed from
 * the journal, and it is deleted on the platform where the platform allows (else the person is
 * asked to delete it). `/disconnect` removes a connection. A flow left alone expires.
 */
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { journal } from '../db/schema.ts';
import type { AuditLog } from '../audit/audit.ts';
import { registerSecrets } from '../log.ts';
import { senderOf, type Stage, type TurnContext } from '../pipeline/context.ts';
import type { ChatCommand } from '../pipeline/stages/commands.ts';
import type { ConnectionKind, Connections } from './connections.ts';
import { AccountProblem, ConnectInputError, calendarSettings, connectAccount, isConnectionKind, mailSettings, type ConnectInput } from './connect.ts';

type Field = 'url' | 'imapUrl' | 'smtpUrl' | 'username' | 'address' | 'password';

interface Flow {
  personId: string;
  kind: ConnectionKind;
  input: ConnectInput;
  expiresAt: number;
}

const QUESTIONS: Record<Field, string> = {
  url: 'What is the CalDAV address of your calendar? (e.g. https://cloud.example.org/remote.php/dav/ — your provider\'s help pages name it)',
  imapUrl: 'What is your IMAP server? (e.g. imaps://mail.example.org:993)',
  smtpUrl: 'And your SMTP server for sending? (e.g. smtp://mail.example.org:587)',
  username: 'Your user name on that server?',
  address: 'Which email address do you send from?',
  password: 'Now your password (an app password if your provider offers them). I will delete your message as soon as I have read it.',
};

const STEPS: Record<ConnectionKind, Field[]> = { calendar: ['url', 'username', 'password'], mail: ['imapUrl', 'smtpUrl', 'username', 'address', 'password'] };

function nextField(flow: Flow): Field | undefined {
  return STEPS[flow.kind].find((field) => {
    if (field === 'address') return !flow.input.address && !flow.input.username?.includes('@');
    return !flow.input[field];
  });
}

export interface ChatConnectOptions {
  vault: Connections;
  database: Database;
  audit: AuditLog;
  timeoutMs: number;
  /** How long a started /connect waits for the next answer. */
  flowTtlMs?: number;
  now?: () => number;
}

export function chatConnect(options: ChatConnectOptions): { commands: ChatCommand[]; stage: Stage } {
  const flows = new Map<string, Flow>();
  const ttl = options.flowTtlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;

  const ask = (flow: Flow) => QUESTIONS[nextField(flow)!] + ' (Send "cancel" to stop.)';

  /** Removes the password message: its text from the journal at once, the message from the platform where it can. */
  const forgetPasswordMessage = async (turn: TurnContext): Promise<string> => {
    await options.database.db
      .update(journal)
      .set({ message: sql`jsonb_set(${journal.message}, '{text}', '"[removed: it held a password]"'::jsonb)` })
      .where(eq(journal.id, turn.journalId));
    if (!turn.adapter.deleteMessage) return `\n\n⚠ I cannot delete messages on ${turn.adapter.platform}: please delete your password message yourself.`;
    try {
      await turn.adapter.deleteMessage(turn.message.conversation, turn.message.messageId);
      return '\n\nI deleted your password message.';
    } catch {
      return `\n\n⚠ ${turn.adapter.platform} did not let me delete your password message: please delete it yourself.`;
    }
  };

  const finish = async (turn: TurnContext, flow: Flow): Promise<string> => {
    flows.delete(turn.conversationKey);
    const person = senderOf(turn);
    try {
      const connected = await connectAccount(options.vault, { personId: person.id }, flow.kind, flow.input, options.timeoutMs);
      await options.audit.record({ kind: 'connection.saved', actorPersonId: person.id, platform: turn.message.platform, subject: person.id, detail: { kind: flow.kind, connected, via: 'chat' } });
      return `Connected your ${connected}. I can use it when you ask me now.`;
    } catch (error) {
      if (error instanceof AccountProblem || error instanceof ConnectInputError) return `That did not work: ${error.message.replace(/ Tell the person to check it and send \/connect \w+ again in a direct chat with me\./, '')}\nNothing was saved. Send /connect ${flow.kind} to try again.`;
      throw error;
    }
  };

  const connect: ChatCommand = {
    name: 'connect',
    description: 'Connect your calendar or mailbox: /connect calendar, /connect mail',
    async run(turn, args) {
      const [kind, ...rest] = args.split(/\s+/).filter(Boolean);
      if (!kind || !isConnectionKind(kind)) return 'Connect what? Send /connect calendar or /connect mail.';
      if (turn.message.conversation.kind !== 'direct') return `Passwords do not belong in a group: send /connect ${kind} to me in a direct chat.`;
      const person = senderOf(turn);
      if (person.role === 'guest') return 'Guests cannot connect accounts here; ask the owner.';
      // "/connect calendar URL USER" skips the questions it answers.
      const input: ConnectInput = kind === 'calendar' ? { url: rest[0], username: rest[1] } : { imapUrl: rest[0], smtpUrl: rest[1], username: rest[2], address: rest[3] };
      const flow: Flow = { personId: person.id, kind, input, expiresAt: now() + ttl };
      try {
        // Check what was given now rather than after the password.
        if (kind === 'calendar' && input.url) calendarSettings({ url: input.url, username: input.username ?? 'x' });
        if (kind === 'mail' && input.imapUrl) mailSettings({ imapUrl: input.imapUrl, smtpUrl: input.smtpUrl ?? 'smtp://x', username: input.username ?? 'x@x', address: input.address });
      } catch (error) {
        if (error instanceof ConnectInputError) return `${error.message}.`;
        throw error;
      }
      flows.set(turn.conversationKey, flow);
      return ask(flow);
    },
  };

  const disconnect: ChatCommand = {
    name: 'disconnect',
    description: 'Forget your calendar or mailbox: /disconnect calendar, /disconnect mail',
    async run(turn, args) {
      const kind = args.trim().split(/\s+/)[0] ?? '';
      if (!isConnectionKind(kind)) return 'Disconnect what? Send /disconnect calendar or /disconnect mail.';
      const person = senderOf(turn);
      if (!(await options.vault.remove({ personId: person.id }, kind))) return `You have no ${kind} connected.`;
      await options.audit.record({ kind: 'connection.removed', actorPersonId: person.id, platform: turn.message.platform, subject: person.id, detail: { kind, via: 'chat' } });
      return `Done: I forgot your ${kind} settings and password.`;
    },
  };

  /** Answers to a /connect in progress, before commands and the model see them. */
  const stage: Stage = async (turn, next) => {
    const flow = flows.get(turn.conversationKey);
    if (!flow || turn.origin || !turn.person || turn.person.id !== flow.personId) return next();
    if (flow.expiresAt < now()) {
      flows.delete(turn.conversationKey);
      return next();
    }
    const field = nextField(flow)!;
    const text = turn.message.text.trim();
    const reply = (message: string) => {
      turn.replies.push({ kind: 'reply', text: message });
      turn.outcome = 'done';
    };
    if (/^\/?cancel$/i.test(text)) {
      flows.delete(turn.conversationKey);
      if (field === 'password') await forgetPasswordMessage(turn).catch(() => undefined);
      return reply('Stopped; nothing was saved.');
    }
    if (field !== 'password' && text.startsWith('/')) {
      flows.delete(turn.conversationKey);
      return next();
    }
    if (field === 'password') {
      // From here on this text is a secret: scrubbed from every log line, gone from the journal.
      registerSecrets([text]);
      flow.input.password = turn.message.text;
      const deleted = await forgetPasswordMessage(turn);
      return reply((await finish(turn, flow)) + deleted);
    }
    flow.input[field] = text;
    flow.expiresAt = now() + ttl;
    try {
      if (field === 'url') calendarSettings({ url: text, username: 'x' });
      if (field === 'imapUrl') mailSettings({ imapUrl: text, smtpUrl: 'smtp://x', username: 'x@x' });
      if (field === 'smtpUrl') mailSettings({ imapUrl: flow.input.imapUrl!, smtpUrl: text, username: 'x@x' });
    } catch (error) {
      if (!(error instanceof ConnectInputError)) throw error;
      flow.input[field] = undefined;
      return reply(`${error.message}. ${ask(flow)}`);
    }
    return reply(ask(flow));
  };

  return { commands: [connect, disconnect], stage };
}
