/**
 * `hearth audit …`: read and check the audit log. tail and search print one record per line
 * (newest last); verify walks the whole hash chain and names the first record where it breaks
 * (exit code 1); prune removes records past retention and leaves an anchor so the rest still
 * verifies.
 */
import type { Command } from 'commander';
import type { AuditRecord } from '../audit/audit.ts';
import type { VerifyResult } from '../audit/verify.ts';
import { runAdmin } from './people.ts';

export function formatRecord(record: AuditRecord): string {
  const at = new Date(record.at).toISOString().replace('T', ' ').slice(0, 19);
  const actor = record.actorPersonId ?? '-';
  const subject = record.subject ?? '';
  const detail = Object.keys(record.detail ?? {}).length ? ` ${JSON.stringify(record.detail)}` : '';
  return `#${record.id} ${at}Z ${record.kind} ${subject} by ${actor}${record.platform ? ` on ${record.platform}` : ''}${detail}`;
}

function printRecords(result: { records: AuditRecord[] }): string {
  if (result.records.length === 0) return '(no matching records)';
  return [...result.records].reverse().map(formatRecord).join('\n');
}

function printVerify(result: VerifyResult): string {
  const lines: string[] = [];
  if (result.ok) {
    lines.push(`✓ audit chain intact: ${result.records} records${result.records ? ` (#${result.firstId}–#${result.lastId})` : ''}.`);
  } else {
    lines.push(`✗ audit chain broken (${result.records} records checked):`);
    for (const problem of result.problems) lines.push(`  record #${problem.id} ${problem.problem}`);
    process.exitCode = 1;
  }
  for (const warning of result.warnings) lines.push(`  note: ${warning}`);
  lines.push(`  head hash: ${result.headHash} (keep a copy elsewhere to detect a rewrite of the whole chain)`);
  return lines.join('\n');
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('read, search and verify the tamper-evident audit log').option('--json', 'print the raw JSON result');
  audit
    .command('tail')
    .description('the newest records')
    .option('-n, --lines <n>', 'how many', '20')
    .action((options: { lines: string }, command: Command) => runAdmin(command, 'auditSearch', { limit: options.lines }, printRecords));
  audit
    .command('search')
    .description('records by person, tool, kind and time')
    .option('--person <person>', 'done by or about this person (id, platform:account or name)')
    .option('--tool <tool>', 'calls of this tool')
    .option('--kind <kind>', 'a kind (tool.called) or a family (tool.*)')
    .option('--since <when>', 'a date (2026-01-31) or an age (30m, 12h, 7d)')
    .option('--until <when>', 'a date or an age')
    .option('--limit <n>', 'at most this many', '100')
    .action((options: Record<string, string | undefined>, command: Command) => runAdmin(command, 'auditSearch', { person: options.person, tool: options.tool, kind: options.kind, since: options.since, until: options.until, limit: options.limit }, printRecords));
  audit
    .command('verify')
    .description('check every record against the hash chain; names the first record that was edited, deleted or reordered')
    .action((_options, command: Command) => runAdmin(command, 'auditVerify', {}, printVerify));
  audit
    .command('prune')
    .description('delete records older than the retention (HEARTH_AUDIT_RETENTION_DAYS) or --before, keeping the chain verifiable')
    .option('--before <when>', 'a date or an age (e.g. 400d)')
    .action((options: { before?: string }, command: Command) => runAdmin(command, 'auditPrune', { before: options.before }, (r: { removed: number; throughId?: number }) => (r.removed ? `removed ${r.removed} records (through #${r.throughId})` : 'nothing to prune')));
}
