/** `hearth doctor`: every problem with its fix; exit code 1 if anything is wrong (warnings alone do not count). */
import { ConfigError } from '../config/load.ts';
import { formatChecks, isFailure, runChecks } from '../doctor.ts';
import { scrubSecrets } from '../log.ts';
import { bootConfig } from './boot.ts';

export async function runDoctor(configFile: string | undefined): Promise<number> {
  let config;
  try {
    config = bootConfig(configFile);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stdout.write(`✗ configuration:\n${error.problems.map((p) => `    ${p}`).join('\n')}\n`);
    return 1;
  }
  process.stdout.write('✓ configuration: valid\n');
  const checks = await runChecks(config);
  process.stdout.write(`${scrubSecrets(formatChecks(checks))}\n`);
  const failed = checks.filter(isFailure).length;
  const warnings = checks.filter((c) => c.warning && !c.ok).length;
  const warned = warnings ? `${warnings} warning(s) above: Hearth works, but read them.` : '';
  process.stdout.write(failed ? `\n${failed} problem(s) found.${warned ? ` ${warned}` : ''}\n` : `\nEverything looks good.${warned ? ` ${warned}` : ''}\n`);
  return failed ? 1 : 0;
}
