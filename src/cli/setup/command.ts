/** `hearth setup`'s flags; every question the wizard asks has one (see docs/setup.md). */
import type { Command } from 'commander';
import type { SetupFlags } from './context.ts';

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('set Hearth up step by step: model, chat apps, owner (safe to run again; --non-interactive for scripts)')
    .option('-y, --non-interactive', 'ask nothing: use the flags, the environment and what is configured')
    .option('--ollama-host <url>', 'where Ollama runs (OLLAMA_HOST)')
    .option('--model <name>', 'chat model (OLLAMA_MODEL; default: the one recommended for this machine)')
    .option('--embed-model <name>', 'embedding model (OLLAMA_EMBED_MODEL)')
    .option('--no-pull', 'do not download missing models')
    .option('--telegram-token <token>', 'Telegram bot token (better: TELEGRAM_BOT_TOKEN in the environment, not on the command line)')
    .option('--telegram-api-root <url>', 'another Bot API server (TELEGRAM_API_ROOT)')
    .option('--discord-token <token>', 'Discord bot token (better: DISCORD_BOT_TOKEN)')
    .option('--discord-api-base <url>', 'another Discord REST base (DISCORD_API_BASE)')
    .option('--matrix-homeserver <url>', 'Matrix homeserver (MATRIX_HOMESERVER_URL)')
    .option('--matrix-token <token>', 'Matrix access token of the bot account (better: MATRIX_ACCESS_TOKEN)')
    .option('--claim', 'wait for the owner to send /claim CODE at the end (asked when interactive)')
    .option('--no-claim', 'skip claiming the owner')
    .action(async (options: SetupFlags, command: Command) => {
      // Loaded only when asked for: the prompts and the progress bar are not needed by `hearth start`.
      const { runSetup } = await import('./index.ts');
      process.exitCode = await runSetup({ ...options, config: command.optsWithGlobals<{ config?: string }>().config });
    });
}
