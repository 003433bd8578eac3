/**
 * `hearth people …`: who Hearth knows and what they may do — list, show, role, grant, revoke,
 * link, unlink, approve, deny. Runs on the database, or through a running Hearth's admin API
 * when it holds the embedded database (see src/http/admin-client.ts).
 */
import type { Command } from 'commander';
import { openAdminSession, type AdminSession, type SessionOptions } from '../http/admin-client.ts';
import { OperationError, type OperationName, type Params } from '../http/admin-operations.ts';
import { bootConfig, reportFatal } from './boot.ts';

/** Formats a result; `via` is 'database' or the URL of the running Hearth that answered. */
type Print = (result: any, via: string) => string;

/** Runs one operation and prints its result (or its JSON with --json). Exit code 1 on refusal. */
export async function runAdmin(command: Command, name: OperationName, params: Params, print: Print, sessionOptions: SessionOptions = {}): Promise<void> {
  const options = command.optsWithGlobals<{ config?: string; json?: boolean }>();
  const config = bootConfig(options.config);
  let session: AdminSession | undefined;
  try {
    session = await openAdminSession(config, sessionOptions);
    const result = await session.run(name, params);
    process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : print(result, session.via)}\n`);
  } catch (error) {
    if (!(error instanceof OperationError)) reportFatal(error);
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  } finally {
    await session?.close().catch(() => {});
  }
}

const when = (value: string | Date) => new Date(value).toISOString().slice(0, 16).replace('T', ' ');

function printList(result: { people: Array<{ id: string; displayName: string; role: string; roleName: string; accounts: Array<{ platform: string; accountId: string }> }>; pendingPairings: Array<{ platform: string; accountId: string; displayName: string; expiresAt: string }> }): string {
  const lines = result.people.map((p) => `${p.displayName.padEnd(20)} ${p.roleName.padEnd(10)} ${p.id}  ${p.accounts.map((a) => `${a.platform}:${a.accountId}`).join(', ') || '(no accounts)'}`);
  if (result.pendingPairings.length) {
    lines.push('', 'Waiting to be let in (ask them for their code, then `hearth people approve CODE`):');
    for (const p of result.pendingPairings) lines.push(`  ${p.displayName} (${p.platform}:${p.accountId}), code valid until ${when(p.expiresAt)} UTC`);
  }
  return lines.join('\n');
}

const message = (result: { message: string }) => result.message;

export function registerPeopleCommands(program: Command): void {
  const people = program.command('people').description('who Hearth knows, their roles and tool permissions').option('--json', 'print the raw JSON result');
  const person = 'PERSON is an id, platform:account (telegram:123456789) or a unique name';

  people
    .command('list')
    .description('everyone Hearth knows, and strangers waiting to be let in')
    .action((_options, command: Command) => runAdmin(command, 'list', {}, printList));
  people
    .command('show <person>')
    .description(`accounts, role, tools and today's token use. ${person}`)
    .action((reference: string, _options, command: Command) => runAdmin(command, 'show', { person: reference }, (r: { summary: string }) => r.summary));
  people
    .command('role <person> <role>')
    .description('make someone a member or a guest (the owner is set by HEARTH_OWNER)')
    .action((reference: string, role: string, _options, command: Command) => runAdmin(command, 'role', { person: reference, role }, (r: { from: string; to: string }) => `role: ${r.from} → ${r.to}`));
  people
    .command('grant <person> <tool> <decision>')
    .description("set one person's decision for a tool: allow, ask or deny (overrides their role's default)")
    .action((reference: string, tool: string, decision: string, _options, command: Command) => runAdmin(command, 'grant', { person: reference, tool, decision }, message));
  people
    .command('revoke <person> <tool>')
    .description("remove a person's own grant for a tool: back to their role's default")
    .action((reference: string, tool: string, _options, command: Command) => runAdmin(command, 'revoke', { person: reference, tool }, message));
  people
    .command('link <person> <account>')
    .description('give an account (platform:account) to a person; if someone else holds it, the two become one person')
    .action((reference: string, account: string, _options, command: Command) => runAdmin(command, 'link', { person: reference, account }, message));
  people
    .command('unlink <person> <account>')
    .description('take an account (platform:account) away from a person; it becomes a stranger again')
    .action((reference: string, account: string, _options, command: Command) => runAdmin(command, 'unlink', { person: reference, account }, message));
  people
    .command('approve <code>')
    .description('let in the stranger who was given this pairing code (as a guest)')
    .action((code: string, _options, command: Command) => runAdmin(command, 'approve', { code }, message));
  people
    .command('deny <code>')
    .description('turn down the pairing request with this code')
    .action((code: string, _options, command: Command) => runAdmin(command, 'deny', { code }, message));
}
