/** `hearth doctor`: every problem with its fix; exit code 1 if anything is wrong. */
import { ConfigError } from '../config/load.ts';
import { formatChecks, runChecks } from '../doctor.ts';
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
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(failed ? `\n${failed} problem(s) found.\n` : '\nEverything looks good.\n');
  return failed ? 1 : 0;
}
