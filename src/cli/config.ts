/**
 * `hearth config migrate`: brings the config file up to this version in place (moved keys under
 * their new names, `version` set), keeping comments and order, with the old file kept beside it.
 * Environment variables cannot be rewritten from here, so old names in use are listed instead.
 */
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultConfigPath, loadConfig } from '../config/load.ts';
import { CONFIG_VERSION, renamedEnv } from '../config/evolution.ts';
import { migrateConfigText } from '../config/migrate-file.ts';
import { loadEnvFile } from './boot.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export function runConfigMigrate(fileOption: string | undefined, options: { dryRun?: boolean }): void {
  loadEnvFile();
  const file = fileOption ?? defaultConfigPath();
  const oldVariables = renamedEnv.filter((r) => process.env[r.from] !== undefined);
  if (!existsSync(file)) {
    say(`There is no config file at ${file}: nothing to migrate.`);
  } else {
    let result;
    try {
      result = migrateConfigText(readFileSync(file, 'utf8'));
    } catch (error) {
      process.stderr.write(`${file}: ${(error as Error).message}. Fix: correct it by hand, then run this again.\n`);
      process.exitCode = 2;
      return;
    }
    if (!result.changes.length) say(`${file} is up to date (version ${CONFIG_VERSION}).`);
    else if (options.dryRun) {
      process.stdout.write(result.text);
      process.stderr.write(`Would change ${file}:\n${result.changes.map((c) => `  - ${c}`).join('\n')}\n(nothing was written: --dry-run)\n`);
    } else {
      const kept = `${file}.before-migrate`;
      try {
        copyFileSync(file, kept);
      } catch (error) {
        process.stderr.write(`Cannot keep a copy of ${file} beside it (${(error as Error).message}), so it was not changed. Fix: run \`hearth config migrate --dry-run > hearth.config.new.yaml\`, look it over, and put it in place yourself.\n`);
        process.exitCode = 2;
        return;
      }
      try {
        writeFileSync(`${file}.partial`, result.text);
        renameSync(`${file}.partial`, file);
      } catch {
        // A file mounted on its own into a container cannot be replaced, only rewritten.
        rmSync(`${file}.partial`, { force: true });
        writeFileSync(file, result.text);
      }
      say(`Updated ${file} to version ${CONFIG_VERSION}:`);
      for (const change of result.changes) say(`  - ${change}`);
      say(`The previous file is kept as ${kept}.`);
      try {
        loadConfig({ file });
      } catch (error) {
        say(`It still has problems to fix by hand:\n${(error as Error).message}`);
        process.exitCode = 2;
      }
    }
  }
  for (const r of oldVariables) say(`Also rename ${r.from} to ${r.to} in .env or your environment (the old name still works for now).`);
}

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('the configuration file');
  config
    .command('migrate')
    .description('update the config file to this version in place (renamed and moved keys), keeping comments and order')
    .option('--dry-run', 'print the updated file instead of writing it')
    .action((options: { dryRun?: boolean }, command: Command) => runConfigMigrate(command.optsWithGlobals<{ config?: string }>().config, options));
}
