/**
 * What can go wrong with a person's outside account, said once for calendar and mail: the tool
 * result tells the model what happened and what the person should do (usually `/connect` again),
 * and nothing in it can carry a password (library messages are scrubbed).
 */
import { scrubSecrets } from '../log.ts';
import type { ConnectionKind } from './connections.ts';

export type ProblemKind = 'not-connected' | 'rejected' | 'unreachable' | 'timeout' | 'lost-key' | 'server';

const SERVICE: Record<ConnectionKind, string> = { calendar: 'calendar server', mail: 'mail server' };

export class AccountProblem extends Error {
  override name = 'AccountProblem';
  readonly kind: ProblemKind;
  readonly service: ConnectionKind;
  constructor(service: ConnectionKind, kind: ProblemKind, message: string) {
    super(message);
    this.service = service;
    this.kind = kind;
  }
}

export function notConnected(service: ConnectionKind, whose = 'This person'): AccountProblem {
  return new AccountProblem(service, 'not-connected', `${whose} has not connected a ${service === 'calendar' ? 'calendar' : 'mailbox'} yet. Tell them to send /connect ${service} in a direct chat with me (or ask the owner to run \`hearth connect ${service}\`).`);
}

/** Sorts a library's failure into what a person can act on. */
export function accountProblem(service: ConnectionKind, error: unknown, url: string): AccountProblem {
  if (error instanceof AccountProblem) return error;
  if ((error as Error)?.name === 'LostKeyError') return new AccountProblem(service, 'lost-key', (error as Error).message);
  const e = error as { name?: string; code?: string; message?: string; authenticationFailed?: boolean; responseCode?: number; cause?: { code?: string }; status?: number };
  const text = scrubSecrets(String(e?.message ?? error));
  const code = e?.code ?? e?.cause?.code;
  const host = safeHost(url);
  const again = `Tell the person to check it and send /connect ${service} again in a direct chat with me.`;
  if (e?.authenticationFailed || e?.responseCode === 535 || e?.code === 'EAUTH' || e?.status === 401 || /\b401\b|unauthori[sz]ed|authentication ?failed|invalid credentials|AUTHENTICATIONFAILED/i.test(text)) {
    return new AccountProblem(service, 'rejected', `The ${SERVICE[service]} at ${host} rejected the user name or password (it may have been changed). ${again}`);
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || code === 'ETIMEDOUT' || code === 'ETIMEOUT' || /timed? ?out/i.test(text)) {
    return new AccountProblem(service, 'timeout', `The ${SERVICE[service]} at ${host} did not answer in time. It may be down or slow; try again later. If it keeps happening, ${again.charAt(0).toLowerCase()}${again.slice(1)}`);
  }
  if (code && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN|EPIPE|ESOCKET|ECONNECTION|NoConnection)$/.test(code) || /fetch failed|ECONNREFUSED|ENOTFOUND|connection (closed|refused)/i.test(text)) {
    return new AccountProblem(service, 'unreachable', `Cannot reach the ${SERVICE[service]} at ${host} (${code ?? 'no connection'}). It may be down, or its address changed. Try again later; if the address changed, ${again.charAt(0).toLowerCase()}${again.slice(1)}`);
  }
  return new AccountProblem(service, 'server', `The ${SERVICE[service]} at ${host} failed: ${text.slice(0, 300)}`);
}

function safeHost(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host;
  } catch {
    return 'the configured address';
  }
}
