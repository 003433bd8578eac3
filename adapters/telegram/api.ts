/**
 * The grammY Bot API client as Hearth configures it. Every call goes through grammY's
 * transformer chain, the place for 429 handling (after grammY's own design).
 */
import { Api } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';

export function createApi(options: { token: string; apiRoot: string; timeoutSeconds: number; maxRetryAfterSeconds: number }): Api {
  const api = new Api(options.token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds });
  // 429 retry_after is waited out here, as Telegram asks; a longer wait than maxRetryAfterSeconds
  // becomes PlatformRateLimitedError for the outbox. 5xx and network errors are not retried here:
  // the outbox retries sends and the poller has its own back-off.
  api.config.use(
    autoRetry({
      maxRetryAttempts: 3,
      maxDelaySeconds: options.maxRetryAfterSeconds,
      rethrowInternalServerErrors: true,
      rethrowHttpErrors: true,
    }),
  );
  return api;
}

/** grammY's Node build types signals with the abort-controller polyfill; native ones work the same. */
export type ApiSignal = Parameters<Api['getMe']>[0];
export function apiSignal(signal: AbortSignal): ApiSignal {
  return signal as unknown as ApiSignal;
}
