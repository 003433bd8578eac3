/**
 * Webhook mode: Telegram POSTs each update to our URL with the secret we registered in the
 * X-Telegram-Bot-Api-Secret-Token header (https://core.telegram.org/bots/api#setwebhook).
 * Anyone can find the URL, so a request without the right secret is refused and audited before
 * its body is even read. A 2xx answer is Telegram's acknowledgement, so it is sent only after the
 * pipeline has journaled the update; on failure Telegram retries and the journal dedupes.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Update } from 'grammy/types';
import type { AdapterContext, WebhookRoute } from '../../src/core/index.ts';
import { describe } from './errors.ts';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** Telegram's rule for secret_token: 1–256 characters of A-Z, a-z, 0-9, _ and -. */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

export function webhookRoute(options: {
  path: string;
  secret: string;
  context(): AdapterContext | undefined;
  handle(update: Update): Promise<void>;
}): WebhookRoute {
  const expected = Buffer.from(options.secret);
  return {
    method: 'POST',
    path: options.path,
    async handle(request: Request, info?: { client: string }): Promise<Response> {
      const context = options.context();
      if (!context) return new Response('telegram adapter is not running', { status: 503 });
      const given = request.headers.get(SECRET_HEADER);
      if (given === null || !sameSecret(Buffer.from(given), expected)) {
        const reason = given === null ? 'missing secret token header' : 'wrong secret token';
        // One record per client and window, with a count: guessing cannot fill the audit log.
        const client = info?.client ?? 'unknown';
        await context.audit({ kind: 'webhook.rejected', subject: 'telegram', detail: { reason, path: options.path, client }, source: client });
        context.log.warn({ reason, client }, 'refused a Telegram webhook request');
        return new Response('unauthorized', { status: 401 });
      }
      let update: Update;
      try {
        update = (await request.json()) as Update;
      } catch {
        return new Response('body is not JSON', { status: 400 });
      }
      if (typeof update !== 'object' || update === null || typeof update.update_id !== 'number') {
        return new Response('not a Telegram update', { status: 400 });
      }
      try {
        await options.handle(update);
      } catch (error) {
        context.log.error({ error: describe(error) }, 'could not hand a Telegram webhook update to the pipeline; Telegram will retry');
        return new Response('try again later', { status: 503 });
      }
      return new Response('ok', { status: 200 });
    },
  };
}

function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
