/**
 * `hearth setup`: the first ten minutes as a conversation in the terminal. (1) Ollama and the
 * models, (2) the chat apps and their tokens, (3) secrets to .env and the rest to
 * hearth.config.yaml, (4) claiming the owner with a code sent to the bot. Safe to run again: it
 * starts from what is configured and only writes what changed. Every question has a flag or an
 * environment variable, so `--non-interactive` runs the same steps in scripts and Docker
 * (docs/setup.md).
 */
import { randomBytes } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { confirm } from '@inquirer/prompts';
import { loadConfig, ConfigError } from '../../config/load.ts';
import { parseOwnerAccounts } from '../../access/people.ts';
import { claimOwner, ClaimFailed } from '../owner.ts';
import { readConfigDocument, readEnvFile, updateConfigFile, updateEnvFile } from './files.ts';
import { modelStep } from './model-step.ts';
import { platformStep, type PlatformChoices } from './platform-step.ts';
import { bad, current, good, heading, note, SetupStopped, type SetupContext, type SetupFlags } from './context.ts';

export async function runSetup(flags: SetupFlags & { config?: string }): Promise<number> {
  const interactive = !flags.nonInteractive && Boolean(process.stdin.isTTY);
  const say = (text = '') => void process.stdout.write(`${text}\n`);
  if (!flags.nonInteractive && !interactive) say(note('No terminal to ask questions in: running with --non-interactive (flags and environment; see docs/setup.md).'));
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.on('SIGINT', onInterrupt);
  try {
    const configFile = resolve(flags.config ?? process.env.HEARTH_CONFIG ?? 'hearth.config.yaml');
    const envFile = resolve(process.env.HEARTH_ENV_FILE ?? '.env');
    const context: SetupContext = { flags, interactive, configFile, envFile, doc: readConfigDocument(configFile), env: readEnvFile(envFile), signal: stop.signal, say };
    say(`Setting up Hearth. Safe to run again: it starts from what you have (${shown(configFile)}, ${shown(envFile)}) and changes only what you change.`);
    const models = await modelStep(context);
    const platforms = await platformStep(context);
    const config = save(context, models, platforms);
    if (!config) return 1;
    await claimStep(context, config, platforms);
    say(heading('Done.'));
    say('Start Hearth with `npm start` (or `npx hearth start`) and write to your bot. `npx hearth doctor` checks everything; run `npx hearth setup` again to change anything.');
    return 0;
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError') {
      say('\nStopped. Nothing after the last ✓ was changed.');
      return 130;
    }
    if (error instanceof SetupStopped || error instanceof ClaimFailed) {
      say(bad(error.message));
      return 1;
    }
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** A path as short as it can be said: relative inside this folder, absolute elsewhere. */
const shown = (file: string) => {
  const near = relative(process.cwd(), file);
  return near && !near.startsWith('..') ? near : file;
};

/** Step 3: write, then load the result exactly as `hearth start` will. */
function save(context: SetupContext, models: { host: string; model: string; embedModel: string }, platforms: PlatformChoices): ReturnType<typeof loadConfig> | undefined {
  const { flags, say } = context;
  say(heading('3. Saving'));
  const secrets: Record<string, string | undefined> = { ...platforms.secrets };
  // The admin API (and `hearth people`/`owner claim` against a running Hearth) need it; made once.
  if (!current(context, 'access.adminToken', 'HEARTH_ADMIN_TOKEN')) secrets.HEARTH_ADMIN_TOKEN = randomBytes(32).toString('hex');
  updateEnvFile(context.envFile, secrets);
  updateConfigFile(context.configFile, {
    'ollama.host': models.host,
    'ollama.model': models.model,
    'ollama.embedModel': models.embedModel,
    'telegram.apiRoot': flags.telegramApiRoot,
    'discord.apiBase': flags.discordApiBase,
    ...platforms.settings,
  });
  say(good(`secrets in ${shown(context.envFile)} (readable only by you), settings in ${shown(context.configFile)}`));
  try {
    return loadConfig({ file: context.configFile, env: { ...readEnvFile(context.envFile), ...process.env } });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(bad(`Saved, but the configuration still has problems Hearth would stop at:\n${error.problems.map((p) => `    ${p}`).join('\n')}`));
    return undefined;
  }
}

/** Step 4: whoever sends the code to the bot becomes the owner; the account is also written to the config. */
async function claimStep(context: SetupContext, config: ReturnType<typeof loadConfig>, platforms: PlatformChoices): Promise<void> {
  const { flags, interactive, say } = context;
  say(heading('4. The owner'));
  const owners = parseOwnerAccounts(config.owner).map((a) => `${a.platform}:${a.accountId}`);
  if (platforms.connected.length === 0 && !config.telegram?.botToken && !config.discord?.botToken && !config.matrix?.accessToken) {
    say(note('No chat app is connected, so there is nothing to claim yet: you are the owner at the keyboard (`npx hearth chat`).'));
    return;
  }
  const wanted = flags.claim ?? (interactive ? await confirm({ message: owners.length ? `The owner is ${owners.join(', ')}. Add another account of yours?` : 'Make your chat account the owner now? (you send a code to the bot)', default: owners.length === 0 }) : false);
  if (!wanted) {
    say(owners.length ? good(`owner: ${owners.join(', ')}`) : note('No owner account yet: run `npx hearth owner claim` when you are ready.'));
    return;
  }
  const account = await claimOwner(config, { via: 'setup', say: (text) => say(text.replace(/^/gm, '  ')), signal: context.signal });
  updateConfigFile(context.configFile, { owner: [...new Set([...owners, account!])].join(',') });
  say(good(`${account} is the owner now (also written to ${shown(context.configFile)} as \`owner\`).`));
}
