/**
 * The platform step of `hearth setup`: checks a token live with the platform's own library, the
 * way the adapter will use it, and says whose bot it is and how to reach it. Telegram: getMe.
 * Discord: the adapter's REST checks (token, Message Content intent, gateway) and the bot's
 * name. Matrix: whoami. Nothing is received or changed on the platform.
 */
// Each platform's library is loaded only when that platform is set up (they are large: see src/platforms.ts).

export type Platform = 'telegram' | 'discord' | 'matrix';

export interface BotIdentity {
  /** How people see the bot: "@hearth_bot (Hearth)". */
  name: string;
  /** What to do next to talk to it: a link, an invite. */
  reach: string[];
  /** For Matrix: the account the token belongs to (MATRIX_USER_ID). */
  userId?: string;
}

export class TokenRejected extends Error {
  override name = 'TokenRejected';
}

export async function checkTelegram(token: string, apiRoot?: string): Promise<BotIdentity> {
  if (!/^\d+:[\w-]{20,}$/.test(token)) throw new TokenRejected('That does not look like a bot token: BotFather gives one like 123456789:AAE…');
  const { Api, GrammyError } = await import('grammy');
  try {
    const me = await new Api(token, { apiRoot: apiRoot ?? 'https://api.telegram.org' }).getMe();
    return {
      name: `@${me.username} (${me.first_name})`,
      reach: [`Open a chat with it: https://t.me/${me.username}`, `Add it to a group: https://t.me/${me.username}?startgroup=true`],
    };
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 401) throw new TokenRejected('Telegram rejected this token (401). Copy it again from @BotFather (/mybots → your bot → API Token).');
    throw new TokenRejected(`Could not reach Telegram to check the token: ${(error as Error).message.replace(token, '***')}`);
  }
}

/** Send, read history and threads, view channels: what Hearth needs in a server. */
const DISCORD_PERMISSIONS = 1024 + 2048 + 65536 + 274877906944;

export async function checkDiscord(token: string, apiBase = 'https://discord.com/api'): Promise<BotIdentity> {
  if (token.length < 50) throw new TokenRejected('That is too short to be a Discord bot token: Developer Portal → your app → Bot → Reset Token.');
  const [{ REST, Routes }, { discordDoctor }] = await Promise.all([import('discord.js'), import('../../../adapters/discord/doctor.ts')]);
  const problems = (await discordDoctor(token, apiBase, 10_000)).filter((check) => !check.ok);
  if (problems.length) throw new TokenRejected(problems.map((p) => `${p.detail}${p.fix ? ` — ${p.fix}` : ''}`).join('\n'));
  const rest = new REST({ api: apiBase, version: '10', timeout: 10_000, retries: 0 }).setToken(token);
  try {
    const me = (await rest.get(Routes.user())) as { id: string; username: string };
    return {
      name: me.username,
      reach: [`Invite it to your server: https://discord.com/oauth2/authorize?client_id=${me.id}&scope=bot&permissions=${DISCORD_PERMISSIONS}`, 'Or send it a direct message once it shares a server with you.'],
    };
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}

export async function checkMatrix(homeserverUrl: string, accessToken: string): Promise<BotIdentity> {
  const { createClient } = await import('matrix-js-sdk');
  const client = createClient({ baseUrl: homeserverUrl, accessToken });
  let userId: string;
  try {
    userId = (await client.whoami()).user_id;
  } catch (error) {
    const status = (error as { httpStatus?: number }).httpStatus;
    if (status === 401) throw new TokenRejected('The homeserver rejected this access token (401). Log in as the bot in Element → Settings → Help & About → Access Token, or use the login API.');
    throw new TokenRejected(`Could not reach ${homeserverUrl} to check the token: ${(error as Error).message.replace(accessToken, '***')}`);
  } finally {
    client.stopClient();
  }
  return { name: userId, userId, reach: [`Invite ${userId} to a room (without end-to-end encryption), or open https://matrix.to/#/${userId}`] };
}
