/**
 * Step 2 of `hearth setup`: which chat apps to connect. Each token is typed hidden, checked live
 * before it is accepted, and answered with the bot's name and how to reach it. A platform that
 * is configured but not picked again stays as it is: setup never removes a token.
 */
import { checkbox, confirm, input, password } from '@inquirer/prompts';
import { checkDiscord, checkMatrix, checkTelegram, TokenRejected, type BotIdentity, type Platform } from './platforms.ts';
import { bad, current, good, heading, note, SetupStopped, type SetupContext } from './context.ts';

export interface PlatformChoices {
  /** Secrets for .env. */
  secrets: Record<string, string>;
  /** Settings for hearth.config.yaml. */
  settings: Record<string, string>;
  connected: Platform[];
}

const TOKEN_ENV: Record<Platform, string> = { telegram: 'TELEGRAM_BOT_TOKEN', discord: 'DISCORD_BOT_TOKEN', matrix: 'MATRIX_ACCESS_TOKEN' };
const NAMES: Record<Platform, string> = { telegram: 'Telegram', discord: 'Discord', matrix: 'Matrix' };

export async function platformStep(context: SetupContext): Promise<PlatformChoices> {
  const { flags, interactive, say } = context;
  say(heading('2. Chat apps'));
  const given: Record<Platform, string | undefined> = {
    telegram: flags.telegramToken ?? current(context, 'telegram.botToken', 'TELEGRAM_BOT_TOKEN'),
    discord: flags.discordToken ?? current(context, 'discord.botToken', 'DISCORD_BOT_TOKEN'),
    matrix: flags.matrixToken ?? current(context, 'matrix.accessToken', 'MATRIX_ACCESS_TOKEN'),
  };
  const platforms = Object.keys(NAMES) as Platform[];
  const chosen: Platform[] = interactive
    ? await checkbox({ message: 'Which chat apps should Hearth answer on? (space picks, enter goes on)', choices: platforms.map((p) => ({ name: NAMES[p], value: p, checked: Boolean(given[p]) })) })
    : platforms.filter((p) => given[p]);
  const result: PlatformChoices = { secrets: {}, settings: {}, connected: [] };
  for (const platform of chosen) {
    const identity = await connect(context, platform, given[platform], result);
    say(good(`${NAMES[platform]}: ${identity.name}`));
    for (const line of identity.reach) say(`  ${line}`);
    result.connected.push(platform);
  }
  for (const platform of platforms.filter((p) => given[p] && !chosen.includes(p))) {
    say(note(`${NAMES[platform]} stays as it is (to disconnect it, remove ${TOKEN_ENV[platform]} from ${context.envFile}).`));
  }
  if (!chosen.length && !interactive) say(note('No chat app token given: only `hearth chat` can talk to Hearth. Set TELEGRAM_BOT_TOKEN (or DISCORD_BOT_TOKEN, MATRIX_*) and run setup again.'));
  return result;
}

async function connect(context: SetupContext, platform: Platform, existing: string | undefined, result: PlatformChoices): Promise<BotIdentity> {
  const { interactive, say } = context;
  let homeserver = '';
  if (platform === 'matrix') {
    homeserver = context.flags.matrixHomeserver ?? current(context, 'matrix.homeserverUrl', 'MATRIX_HOMESERVER_URL') ?? '';
    if (interactive && !context.flags.matrixHomeserver) homeserver = await input({ message: 'Matrix homeserver address', default: homeserver || 'https://matrix.org', validate: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? true : 'an address like https://matrix.example.org') });
    homeserver = homeserver.trim();
    if (!homeserver) throw new SetupStopped('MATRIX_ACCESS_TOKEN is set but MATRIX_HOMESERVER_URL is not: give --matrix-homeserver (or MATRIX_HOMESERVER_URL).');
    result.settings['matrix.homeserverUrl'] = homeserver;
  }
  const check = (token: string) => checkToken(context, platform, token, homeserver);

  let token = existing;
  let identity: BotIdentity | undefined;
  if (token) {
    try {
      identity = await check(token);
      if (interactive && !(await confirm({ message: `Keep the ${NAMES[platform]} token you have (${identity.name})?`, default: true }))) identity = undefined;
    } catch (error) {
      if (!(error instanceof TokenRejected)) throw error;
      if (!interactive) throw new SetupStopped(`${NAMES[platform]}: ${error.message}`);
      say(bad(`${NAMES[platform]}: the token you have does not work: ${error.message}`));
    }
  }
  if (!identity) {
    token = await password({
      message: `${NAMES[platform]} ${platform === 'matrix' ? 'access token of the bot account' : 'bot token'} (${HOW_TO_GET[platform]}; what you type stays hidden)`,
      validate: async (value) => {
        try {
          identity = await check(value.trim());
          return true;
        } catch (error) {
          if (error instanceof TokenRejected) return error.message;
          throw error;
        }
      },
    });
  }
  result.secrets[TOKEN_ENV[platform]] = token!.trim();
  if (platform === 'matrix') result.settings['matrix.userId'] = identity!.userId!;
  return identity!;
}

const HOW_TO_GET: Record<Platform, string> = {
  telegram: 'from @BotFather: /newbot',
  discord: 'Developer Portal → your app → Bot → Reset Token',
  matrix: 'Element → Settings → Help & About → Access Token',
};

function checkToken(context: SetupContext, platform: Platform, token: string, homeserver: string): Promise<BotIdentity> {
  switch (platform) {
    case 'telegram':
      return checkTelegram(token, context.flags.telegramApiRoot ?? current(context, 'telegram.apiRoot', 'TELEGRAM_API_ROOT'));
    case 'discord':
      return checkDiscord(token, context.flags.discordApiBase ?? current(context, 'discord.apiBase', 'DISCORD_API_BASE'));
    case 'matrix':
      return checkMatrix(homeserver, token);
  }
}
