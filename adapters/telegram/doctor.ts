/**
 * `hearth doctor` for Telegram: is the token accepted, is the Bot API reachable, and is delivery
 * (webhook or polling) set up the way the configuration says. Read-only: getMe and
 * getWebhookInfo; nothing is received, registered or removed.
 */
import type { Api } from 'grammy';
import { PlatformConfigError, type DoctorCheck } from '../../src/core/index.ts';
import { describe, redact } from './errors.ts';
import type { BotIdentity } from './normalize.ts';

export async function runDoctor(options: {
  api: Api;
  apiRoot: string;
  webhookUrl: string | undefined;
  checkConfig(): void;
  identify(): Promise<BotIdentity & { readsAllGroupMessages?: boolean }>;
}): Promise<DoctorCheck[]> {
  try {
    options.checkConfig();
  } catch (error) {
    const problem = error as PlatformConfigError;
    return [{ name: 'telegram configuration', ok: false, detail: problem.message, fix: problem.fix }];
  }
  let me: BotIdentity & { readsAllGroupMessages?: boolean };
  try {
    me = await options.identify();
  } catch (error) {
    if (error instanceof PlatformConfigError) return [{ name: 'telegram bot token', ok: false, detail: 'Telegram rejected the bot token (401 Unauthorized)', fix: error.fix }];
    return [{ name: 'telegram reachable', ok: false, detail: redact((error as Error).message), fix: `check this machine's internet access, or TELEGRAM_API_ROOT (now ${options.apiRoot})` }];
  }
  const privacy = me.readsAllGroupMessages
    ? 'group privacy mode is off: the bot receives every group message (it still answers only when addressed)'
    : 'group privacy mode is on: in groups the bot receives only messages addressed to it';
  const checks: DoctorCheck[] = [{ name: 'telegram bot token', ok: true, detail: `token belongs to @${me.username} (id ${me.id}); ${privacy}` }];
  try {
    const info = await options.api.getWebhookInfo();
    if (options.webhookUrl) {
      const registered = info.url === options.webhookUrl;
      const lastError = info.last_error_message ? `; Telegram's last delivery error: ${info.last_error_message}` : '';
      checks.push({
        name: 'telegram webhook',
        ok: registered && !info.last_error_message,
        detail: registered ? `webhook registered at ${info.url}${lastError}` : `Telegram has ${info.url ? `another webhook (${info.url})` : 'no webhook'}; Hearth registers ${options.webhookUrl} when it starts`,
        ...(info.last_error_message ? { fix: 'make sure TELEGRAM_WEBHOOK_URL reaches Hearth over HTTPS with a valid certificate' } : {}),
      });
    } else {
      checks.push({ name: 'telegram delivery', ok: true, detail: info.url ? `a webhook is set (${info.url}); Hearth removes it when it starts long polling` : 'long polling (no webhook set)' });
    }
  } catch (error) {
    checks.push({ name: 'telegram delivery', ok: false, detail: `could not read the webhook status: ${describe(error)}` });
  }
  return checks;
}
