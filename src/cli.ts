#!/usr/bin/env node
/**
 * The `hearth` command. Each subcommand lives in src/cli/; this file only wires them to
 * commander and turns known startup failures into a clear message and exit code.
 */
import { Command } from 'commander';
import { runStart } from './cli/start.ts';
import { runChat } from './cli/chat.ts';
import { runMigrate } from './cli/migrate.ts';
import { runDoctor } from './cli/doctor.ts';
import { reportFatal } from './cli/boot.ts';
import { registerMemoryCommands } from './cli/memory.ts';
import { registerPeopleCommands } from './cli/people.ts';
import { registerAuditCommands } from './cli/audit.ts';
import { registerOwnerCommands } from './cli/owner.ts';
import { registerSetupCommand } from './cli/setup/command.ts';
import { registerBackupCommands } from './cli/backup.ts';
import { registerConfigCommands } from './cli/config.ts';
import { registerToolsCommand } from './cli/tools.ts';
import { registerConnectCommands } from './cli/connect.ts';
import { registerAdminCommands } from './cli/admin.ts';

const program = new Command()
  .name('hearth')
  .description('A self-hosted AI agent for your household: Telegram, Discord and Matrix in front, a local Ollama model behind.')
  .option('-c, --config <file>', 'configuration file (default: $HEARTH_CONFIG or ./hearth.config.yaml)')
  .showHelpAfterError();

const configFile = () => program.opts<{ config?: string }>().config;

registerSetupCommand(program);
program.command('start').description('run the gateway: connect the configured platforms and answer').action(() => runStart(configFile()));
program.command('chat').description('talk to Hearth in this terminal, as the owner (pipe lines in to script it)').action(() => runChat(configFile()));
program.command('migrate').description('apply database migrations and show the schema version').action(() => runMigrate(configFile()));
program.command('doctor').description('check configuration, database, Ollama and platform credentials').action(async () => {
  process.exitCode = await runDoctor(configFile());
});

registerMemoryCommands(program);
registerPeopleCommands(program);
registerAuditCommands(program);
registerOwnerCommands(program);
registerBackupCommands(program);
registerConfigCommands(program);
registerToolsCommand(program);
registerConnectCommands(program);
registerAdminCommands(program);

program.parseAsync().catch(reportFatal);
