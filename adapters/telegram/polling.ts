/**
 * Long polling with getUpdates. Telegram forgets an update once getUpdates is called with an
 * offset above its id, so the offset advances (and is stored in adapter state) only after the
 * pipeline has journaled the update: a crash before that means Telegram sends it again and the
 * journal drops the duplicate; a restart resumes from the stored offset instead of replaying.
 */
import { GrammyError, type Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { AdapterState, HealthReport, Logger } from '../../src/core/index.ts';
import { apiSignal } from './api.ts';
import { describe, TOKEN_FIX } from './errors.ts';

export interface PollingOptions {
  /** Long-poll timeout sent to getUpdates, in seconds (Telegram holds the request that long). */
  timeoutSeconds: number;
  /** First back-off after a failed getUpdates; doubles up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
}

export interface Poller {
  health(): HealthReport;
  stop(): Promise<void>;
}

interface StoredOffset {
  offset: number;
  at: string;
}

const STATE_KEY = 'polling.offset';
/** After a week without updates Telegram picks the next update_id at random, possibly lower. */
const OFFSET_TRUST_MS = 6 * 24 * 3600 * 1000;
const ALLOWED_UPDATES = ['message'] as const;

export function startPolling(options: {
  api: Api;
  state: AdapterState;
  log: Logger;
  polling: PollingOptions;
  handle(update: Update): Promise<void>;
}): Poller {
  const { api, state, log, polling, handle } = options;
  const abort = new AbortController();
  const signal = abort.signal;
  let health: HealthReport = { ok: true, detail: 'polling Telegram for updates' };

  async function initialOffset(): Promise<number | undefined> {
    const stored = await state.get<StoredOffset>(STATE_KEY);
    if (!stored || typeof stored.offset !== 'number') return undefined;
    if (Date.now() - Date.parse(stored.at) > OFFSET_TRUST_MS) {
      log.info('stored Telegram offset is older than six days; letting Telegram resume from its own confirmation point');
      return undefined;
    }
    return stored.offset;
  }

  async function run(): Promise<void> {
    let offset = await initialOffset();
    let delay = polling.retryMinMs;
    while (!signal.aborted) {
      let updates: Update[];
      try {
        updates = await api.getUpdates({ offset, timeout: polling.timeoutSeconds, allowed_updates: [...ALLOWED_UPDATES] }, apiSignal(signal));
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof GrammyError && error.error_code === 409) {
          health = {
            ok: false,
            detail:
              `Telegram polling stopped: ${error.description}. Another process is receiving updates for this bot token ` +
              '(a second Hearth, an old copy of the bot, or a webhook). Stop the other one, then restart Hearth.',
          };
          log.error({ error: describe(error) }, health.detail);
          return;
        }
        if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
          health = { ok: false, detail: `Telegram polling stopped: the bot token was rejected. Fix: ${TOKEN_FIX}` };
          log.error({ error: describe(error) }, health.detail);
          return;
        }
        health = { ok: false, detail: `cannot reach Telegram (${describe(error)}); retrying in ${Math.round(delay / 1000)} s` };
        log.warn({ error: describe(error), retryInMs: delay }, 'getUpdates failed; backing off');
        await sleep(delay, signal);
        delay = Math.min(polling.retryMaxMs, delay * 2);
        continue;
      }
      if (!health.ok) log.info('Telegram polling recovered');
      health = { ok: true, detail: 'polling Telegram for updates' };

      const before = offset;
      try {
        for (const update of Array.isArray(updates) ? updates : []) {
          if (typeof update?.update_id !== 'number') continue;
          if (offset !== undefined && update.update_id < offset) continue;
          await handle(update);
          offset = update.update_id + 1;
        }
        delay = polling.retryMinMs;
      } catch (error) {
        // The pipeline could not journal it: keep the offset so Telegram sends it again.
        log.error({ error: describe(error), retryInMs: delay }, 'could not hand a Telegram update to the pipeline; will fetch it again');
        await sleep(delay, signal);
        delay = Math.min(polling.retryMaxMs, delay * 2);
      }
      if (offset !== before && offset !== undefined) {
        try {
          await state.set(STATE_KEY, { offset, at: new Date().toISOString() } satisfies StoredOffset);
        } catch (error) {
          log.warn({ error: describe(error) }, 'could not store the Telegram offset; a restart may re-read some updates (the journal drops them)');
        }
      }
    }
  }

  const running = run().catch((error: unknown) => {
    health = { ok: false, detail: `Telegram polling stopped unexpectedly: ${describe(error)}` };
    log.error({ error: describe(error) }, health.detail);
  });

  return {
    health: () => health,
    async stop() {
      abort.abort();
      await running;
      health = { ok: false, detail: 'stopped' };
    },
  };
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
