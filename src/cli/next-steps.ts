/**
 * What a newcomer should do next, in plain words, when `hearth start` runs on an install that is
 * not set up yet: no chat app connected, or nobody owning Hearth on one. Printed as a short
 * block on a terminal (and as one warning log line when the output is JSON for a machine).
 */
import type { Config } from '../config/types.ts';
import type { Adapter } from '../core/index.ts';
import type { Logger } from '../log.ts';
import { wantsPretty } from '../log.ts';

export function nextSteps(config: Config, adapters: Adapter[], ownerAccounts: string[]): string[] {
  if (adapters.length === 0) {
    return [
      'Hearth is running, but no chat app is connected yet, so nobody can write to it. Next:',
      '  • Stop it (Ctrl-C) and run `npx hearth setup`: it picks a model, connects Telegram, Discord or Matrix, and makes you the owner.',
      '  • Or stop it and try Hearth right here in the terminal: `npx hearth chat`.',
    ];
  }
  if (ownerAccounts.length === 0) {
    const claim = config.access.adminToken
      ? 'In another terminal, run `npx hearth owner claim` and send the code it shows to your bot.'
      : 'Stop it (Ctrl-C), run `npx hearth owner claim`, and send the code it shows to your bot (or run `npx hearth setup`).';
    return [`Hearth is running on ${adapters.map((a) => a.platform).join(', ')}, but nobody owns it yet: it will not let anyone in. Next:`, `  • ${claim}`];
  }
  return [];
}

/** On a terminal: the block, plain; elsewhere: one warning line, so JSON logs stay JSON. */
export function printNextSteps(lines: string[], log: Logger, format: Config['logFormat']): void {
  if (!lines.length) return;
  if (wantsPretty(process.stdout, format)) process.stdout.write(`\n${lines.join('\n')}\n\n`);
  else log.warn({ nextSteps: lines.slice(1).map((l) => l.replace(/^\s*• /, '')) }, lines[0]!);
}
