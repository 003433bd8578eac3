/**
 * Which chat platforms to connect, from configuration. A platform without credentials is not
 * started, and the log says so, so a newcomer can see why Telegram is silent.
 */
import { join } from 'node:path';
import type { Adapter } from './core/index.ts';
import type { Config } from './config/types.ts';
import type { Logger } from './log.ts';

/**
 * Platform libraries are imported only when that platform is configured: discord.js and
 * matrix-js-sdk alone cost hundreds of megabytes of memory on a box that may have 2 GB.
 */
export async function configuredAdapters(config: Config, log?: Logger): Promise<Adapter[]> {
  const adapters: Adapter[] = [];
  const { telegram, discord, matrix } = config;

  if (telegram?.botToken) {
    const { createTelegramAdapter } = await import('../adapters/telegram/index.ts');
    adapters.push(
      createTelegramAdapter({
        token: telegram.botToken,
        apiRoot: telegram.apiRoot,
        webhook: telegram.webhookUrl && telegram.webhookSecret ? { url: telegram.webhookUrl, secret: telegram.webhookSecret } : undefined,
      }),
    );
  } else log?.info('Telegram: not configured (set TELEGRAM_BOT_TOKEN to connect)');

  if (discord?.botToken) {
    const { createDiscordAdapter } = await import('../adapters/discord/index.ts');
    adapters.push(createDiscordAdapter({ token: discord.botToken, apiBase: discord.apiBase }));
  } else log?.info('Discord: not configured (set DISCORD_BOT_TOKEN to connect)');

  if (matrix?.homeserverUrl && matrix.userId && matrix.accessToken) {
    const { createMatrixAdapter } = await import('../adapters/matrix/index.ts');
    adapters.push(
      createMatrixAdapter({
        homeserverUrl: matrix.homeserverUrl,
        userId: matrix.userId,
        accessToken: matrix.accessToken,
        encryption: matrix.encryption,
        verifiedDevicesOnly: matrix.verifiedDevicesOnly,
        ...(matrix.recoveryKey ? { recoveryKey: matrix.recoveryKey } : {}),
        cryptoDir: join(config.dataDir, 'matrix'),
      }),
    );
  } else log?.info('Matrix: not configured (set MATRIX_HOMESERVER_URL, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN to connect)');

  return adapters;
}
