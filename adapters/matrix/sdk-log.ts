/**
 * Routes matrix-js-sdk's logging into Hearth's logger. The SDK logs every HTTP request at debug
 * and some recoverable conditions (a failed send the adapter retries) at error, so levels are
 * shifted down one step: SDK debug → trace, info → debug, warn/error → warn. The adapter reports
 * what actually went wrong itself, at the level it deserves.
 */
import { logger as sdkGlobalLogger, type Logger as SdkLogger } from 'matrix-js-sdk/lib/logger.js';
import type { Logger } from '../../src/core/index.ts';

type Level = 'trace' | 'debug' | 'warn';

function describe(args: unknown[]): { message: string; err?: unknown } {
  const parts: string[] = [];
  let err: unknown;
  for (const arg of args) {
    if (arg instanceof Error) {
      err ??= arg;
      parts.push(`${arg.name}: ${arg.message}`);
    } else if (typeof arg === 'string') parts.push(arg);
    else {
      try {
        parts.push(JSON.stringify(arg));
      } catch {
        parts.push(String(arg));
      }
    }
  }
  // The SDK logs URLs; it redacts access_token query params itself, and this adapter sends the
  // token as a header only, but a last guard keeps any token-looking query value out of logs.
  const message = parts.join(' ').replace(/(access_token=)[^&\s]+/g, '$1<redacted>');
  return err === undefined ? { message } : { message, err };
}

export function sdkLogger(log: Logger, namespace = 'matrix-js-sdk'): SdkLogger {
  const child = log.child({ component: namespace });
  const emit = (level: Level) => (...args: unknown[]) => {
    const { message, err } = describe(args);
    if (err === undefined) child[level](message);
    else child[level]({ err: String(err) }, message);
  };
  return {
    trace: emit('trace'),
    debug: emit('trace'),
    info: emit('debug'),
    warn: emit('warn'),
    error: emit('warn'),
    getChild: (name: string) => sdkLogger(log, `${namespace}:${name}`),
  };
}

interface LoglevelLike {
  methodFactory: (methodName: string, level: unknown, loggerName: unknown) => (...args: unknown[]) => void;
  rebuild(): void;
}

let globalSink: SdkLogger | undefined;
let globalPatched = false;

/**
 * A few SDK modules log through its process-wide loglevel logger instead of the client's one, and
 * by default that prints to the console at debug level. Point it at the most recently started
 * adapter's logger (there is normally one Matrix account per process).
 */
export function routeGlobalSdkLogging(log: Logger): void {
  globalSink = sdkLogger(log);
  if (globalPatched) return;
  globalPatched = true;
  const target = sdkGlobalLogger as unknown as LoglevelLike;
  target.methodFactory = (methodName) => (...args) => {
    const sink = globalSink;
    if (!sink) return;
    const method = methodName === 'trace' || methodName === 'debug' || methodName === 'info' || methodName === 'warn' || methodName === 'error' ? methodName : 'debug';
    sink[method](...args);
  };
  target.rebuild();
}
