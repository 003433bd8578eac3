/** What every subcommand does first: read .env, load and validate configuration, guard secrets. */
import { existsSync } from 'node:fs';
import { readConfig, secretValues, ConfigError } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { registerSecrets, scrubSecrets } from '../log.ts';
import { DatabaseUnavailableError } from '../db/client.ts';
import { DataFolderInUseError } from '../db/data-lock.ts';
import { PgvectorMissingError, SchemaTooNewError } from '../db/migrate.ts';
import { PlatformConfigError } from '../core/index.ts';
import { BackupError } from '../backup/errors.ts';

export function loadEnvFile(): void {
  // Secrets usually live in .env next to the config; real environment variables win.
  const file = process.env.HEARTH_ENV_FILE ?? '.env';
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Loads the configuration; warnings (old key or variable names) go to `warn`, stderr by default. */
export function bootConfig(file: string | undefined, warn: (message: string) => void = (message) => void process.stderr.write(`warning: ${message}\n`)): Config {
  loadEnvFile();
  const { config, warnings } = readConfig({ file });
  registerSecrets(secretValues(config));
  for (const warning of warnings) warn(warning);
  return config;
}

/** Known failures print their message (which carries the fix); anything else prints its stack. */
export function reportFatal(error: unknown): never {
  const known = [ConfigError, DatabaseUnavailableError, DataFolderInUseError, PgvectorMissingError, SchemaTooNewError, PlatformConfigError, BackupError];
  const message = known.some((type) => error instanceof type) ? (error as Error).message : ((error as Error)?.stack ?? String(error));
  process.stderr.write(`${scrubSecrets(message)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
