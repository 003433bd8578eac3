/** What every subcommand does first: read .env, load and validate configuration, guard secrets. */
import { existsSync } from 'node:fs';
import { loadConfig, secretValues, ConfigError } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { registerSecrets, scrubSecrets } from '../log.ts';
import { DatabaseUnavailableError } from '../db/client.ts';
import { DataFolderInUseError } from '../db/data-lock.ts';
import { PgvectorMissingError, SchemaTooNewError } from '../db/migrate.ts';
import { PlatformConfigError } from '../core/index.ts';

export function loadEnvFile(): void {
  // Secrets usually live in .env next to the config; real environment variables win.
  const file = process.env.HEARTH_ENV_FILE ?? '.env';
  if (existsSync(file)) process.loadEnvFile(file);
}

export function bootConfig(file: string | undefined): Config {
  loadEnvFile();
  const config = loadConfig({ file });
  registerSecrets(secretValues(config));
  return config;
}

/** Known failures print their message (which carries the fix); anything else prints its stack. */
export function reportFatal(error: unknown): never {
  const known = [ConfigError, DatabaseUnavailableError, DataFolderInUseError, PgvectorMissingError, SchemaTooNewError, PlatformConfigError];
  const message = known.some((type) => error instanceof type) ? (error as Error).message : ((error as Error)?.stack ?? String(error));
  process.stderr.write(`${scrubSecrets(message)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
