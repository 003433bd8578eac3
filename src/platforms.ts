/**
 * Which chat platforms to connect, from configuration. A platform without credentials is not
 * started, and the log says so, so a newcomer can see why Telegram is silent.
 */
import type { Adapter } from './core/index.ts';
import type { Config } from './config/types.ts';
import type { Logger } from './log.ts';
import { createTelegramAdapter } from '../adapters/telegram/index.ts';
import { createDiscordAdapter } from '../adapters/discord/index.ts';
import { createMatrixAdapter } from '../adapters/matrix/index.ts';

export function configuredAdapters(config: Config, log?: Logger): Adapter[] {
  const adapters: Adapter[] = [];
  const { telegram, discord, matrix } = config;

  if (telegram?.botToken) {
    adapters.push(
      createTelegramAdapter({
        token: telegram.botToken,
        apiRoot: telegram.apiRoot,
        webhook: telegram.webhookUrl && telegram.webhookSecret ? { url: telegram.webhookUrl, secret: telegram.webhookSecret } : undefined,
      }),
    );
  } else log?.info('Telegram: not configured (set TELEGRAM_BOT_TOKEN to connect)');

  if (discord?.botToken) {
    adapters.push(createDiscordAdapter({ token: discord.botToken, apiBase: discord.apiBase }));
  } else log?.info('Discord: not configured (set DISCORD_BOT_TOKEN to connect)');

  if (matrix?.homeserverUrl && matrix.userId && matrix.accessToken) {
    adapters.push(createMatrixAdapter({ homeserverUrl: matrix.homeserverUrl, userId: matrix.userId, accessToken: matrix.accessToken }));
  } else log?.info('Matrix: not configured (set MATRIX_HOMESERVER_URL, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN to connect)');

  return adapters;
}
