/**
 * `hearth owner claim` (and the last step of `hearth setup`): shows a one-time code, waits until
 * someone sends `/claim CODE` to the bot, and says which account became the owner.
 *
 * The code must reach the gateway that receives the chat message, and the two may be separate
 * processes, so the claim lives in the database and this side polls it:
 * - a running Hearth holds the embedded database → through its admin API (HEARTH_ADMIN_TOKEN),
 *   like `hearth people`;
 * - a PostgreSQL database with a Hearth answering on its HTTP port → straight in the database;
 * - nobody runs Hearth → this process runs the gateway itself, only while it waits, so the
 *   message can arrive at all.
 */
import type { Command } from 'commander';
import type { Config } from '../config/types.ts';
import { openAdminSession, runningHearthUrl, type AdminSession } from '../http/admin-client.ts';
import { OperationError } from '../http/admin-operations.ts';
import type { ClaimStatus, ClaimVia, OpenedClaim } from '../access/claim.ts';
import { OwnerClaims } from '../access/claim.ts';
import { AuditLog } from '../audit/audit.ts';
import { People } from '../access/people.ts';
import { createHearth, type Hearth } from '../hearth.ts';
import { createLogger } from '../log.ts';
import { configuredAdapters } from '../platforms.ts';
import { minutes } from '../access/codes.ts';
import { bootConfig, reportFatal } from './boot.ts';

export interface ClaimOptions {
  via: Extract<ClaimVia, 'setup' | 'cli'>;
  /** Where to tell the person what to do. */
  say(text: string): void;
  /** Stop waiting (Ctrl-C). */
  signal?: AbortSignal;
  pollMs?: number;
  /** Only open the claim and show the code; a running (or later started) Hearth takes it. */
  noWait?: boolean;
}

export class ClaimFailed extends Error {
  override name = 'ClaimFailed';
}

interface ClaimRoute {
  open(): Promise<OpenedClaim>;
  status(id: number): Promise<ClaimStatus>;
  close(): Promise<void>;
}

/** Opens a claim, shows the line to send, and resolves with the account that became the owner. */
export async function claimOwner(config: Config, options: ClaimOptions): Promise<string | undefined> {
  const route = await claimRoute(config, options);
  try {
    const claim = await route.open();
    options.say(
      `Send this message to your bot, from your own account on any platform Hearth is connected to:\n\n    /claim ${claim.code}\n\n` +
        `The code works once, for ${minutes(Date.parse(claim.expiresAt) - Date.now())}.${options.noWait ? '' : ' Waiting for it… (Ctrl-C to stop)'}`,
    );
    if (options.noWait) return undefined;
    for (;;) {
      await sleep(options.pollMs ?? 1_000, options.signal);
      const status = await route.status(claim.id);
      if (status.status === 'claimed') return status.claimedBy!;
      if (status.status === 'expired') throw new ClaimFailed('The code expired before anyone sent it. Run `hearth owner claim` for a new one.');
      if (status.status === 'locked') throw new ClaimFailed('Too many wrong codes were sent, so this code was locked. Run `hearth owner claim` for a new one.');
      if (status.status === 'replaced') throw new ClaimFailed('A newer `hearth owner claim` replaced this code. Use the newest one.');
    }
  } finally {
    await route.close();
  }
}

async function claimRoute(config: Config, options: ClaimOptions): Promise<ClaimRoute> {
  let session: AdminSession;
  try {
    session = await openAdminSession(config);
  } catch (error) {
    if (!(error instanceof OperationError)) throw error;
    throw new ClaimFailed(`Hearth is running and holds its database, and this command cannot reach it: ${error.message}\nOr stop Hearth and run this again: it then connects to your platforms itself while it waits.`);
  }
  const viaSession = (): ClaimRoute => ({
    open: () => session.run('ownerClaimOpen', { for: options.via }),
    status: (id) => session.run('ownerClaimStatus', { id: String(id) }),
    close: () => session.close(),
  });
  if (session.via !== 'database') return viaSession();
  if (options.noWait || (config.databaseUrl && (await hearthAnswers(config)))) return viaSession();
  await session.close();
  options.say('Connecting to your chat apps, so the code can reach Hearth…');
  return runGatewayWhileWaiting(config, options.via);
}

/** Nobody else is listening to the platforms: this process does, for as long as it waits. */
async function runGatewayWhileWaiting(config: Config, via: ClaimOptions['via']): Promise<ClaimRoute> {
  const log = createLogger({ level: 'warn', stream: process.stderr, format: config.logFormat });
  const adapters = await configuredAdapters(config, log);
  if (adapters.length === 0) throw new ClaimFailed('No chat platform is connected, so nobody could send the code. Run `hearth setup` to connect Telegram, Discord or Matrix first.');
  const hearth: Hearth = await createHearth({ config, log, adapters });
  await hearth.start();
  const claims = new OwnerClaims({ database: hearth.database, audit: new AuditLog(hearth.database.db), people: new People(hearth.database.db), agentName: config.agent.name, codeTtlMs: config.access.claimCodeTtlMs });
  return {
    open: () => claims.open(via),
    async status(id) {
      const status = await claims.status(id);
      if (!status) throw new ClaimFailed(`the owner claim ${id} disappeared from the database`);
      return status;
    },
    // Let the welcome reply go out before the platforms are disconnected.
    close: async () => {
      await hearth.gateway.idle();
      await hearth.stop();
    },
  };
}

async function hearthAnswers(config: Config): Promise<boolean> {
  try {
    const response = await fetch(`${runningHearthUrl(config)}/healthz`, { signal: AbortSignal.timeout(1_500) });
    return response.ok;
  } catch {
    return false;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ClaimFailed('Stopped waiting; the code stays valid until it expires.'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new ClaimFailed('Stopped waiting; the code stays valid until it expires.'));
    }, { once: true });
  });
}

export function registerOwnerCommands(program: Command): void {
  const owner = program.command('owner').description('who owns this Hearth');
  owner
    .command('claim')
    .description('show a one-time code; whoever sends `/claim CODE` to the bot becomes the owner (waits for it)')
    .option('--no-wait', 'only show the code; a running (or later started) Hearth accepts it until it expires')
    .action(async (options: { wait: boolean }, command: Command) => {
      const config = bootConfig(command.optsWithGlobals<{ config?: string }>().config);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      try {
        const account = await claimOwner(config, { via: 'cli', say: (text) => process.stdout.write(`${text}\n`), signal: stop.signal, noWait: !options.wait });
        if (account) process.stdout.write(`\n✓ ${account} is the owner now.\n`);
      } catch (error) {
        if (!(error instanceof ClaimFailed)) reportFatal(error);
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 1;
      }
    });
}
