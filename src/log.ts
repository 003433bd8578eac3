/**
 * Logs (pino). On a terminal they are short coloured lines a person can read (pino-pretty);
 * anywhere else — a pipe, a file, Docker, journald — or with HEARTH_LOG_FORMAT=json, one JSON
 * object per line for tools. Secrets are scrubbed from the finished line in both forms:
 * platform libraries sometimes put tokens in URLs or error messages (Telegram's token is part of
 * every Bot API URL), so redacting known field names alone is not enough.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { createRequire } from 'node:module';
import type { prettyFactory as PrettyFactory } from 'pino-pretty';

export type Logger = PinoLogger;

/** auto: readable lines on a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';
export const LOG_FORMATS: LogFormat[] = ['auto', 'pretty', 'json'];

const secrets = new Set<string>();

/** Registers values that must never appear in a log line (tokens, passwords, URLs with credentials). */
export function registerSecrets(values: Iterable<string>): void {
  for (const value of values) {
    if (value.length < 6) continue;
    secrets.add(value);
    // A database URL's password alone can appear in driver errors.
    const password = /^[a-z]+:\/\/[^:/]+:([^@]+)@/i.exec(value)?.[1];
    if (password && password.length >= 4) secrets.add(decodeURIComponent(password));
  }
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

type Render = (line: string) => string;

/** Every line is scrubbed as JSON and, when prettified, scrubbed again as the text printed. */
function scrubbingDestination(target: NodeJS.WritableStream, render?: Render): DestinationStream {
  return { write: (line: string) => void target.write(render ? scrubSecrets(render(scrubSecrets(line))) : scrubSecrets(line)) };
}

function prettyLines(colorize: boolean): Render {
  // Loaded only for readable lines: JSON logs (Docker, journald) skip its 30 modules.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as { prettyFactory: typeof PrettyFactory };
  return prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,app',
    // Fields on the same line as the message; errors still show their stack below it.
    singleLine: true,
  });
}

const secretFields = ['token', 'accessToken', 'botToken', 'password', 'authorization', 'secret', 'webhookSecret'];
/** Field names that hold secrets, at the top level and one level down (pino paths do not recurse). */
const secretFieldPaths = [...secretFields, ...secretFields.map((field) => `*.${field}`)];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout by default, stderr for `hearth chat` so replies stay clean. */
  stream?: NodeJS.WritableStream;
  /** Default: HEARTH_LOG_FORMAT, else auto. */
  format?: LogFormat;
}

/** Pretty when asked, or (auto) when the lines go to a terminal. */
export function wantsPretty(stream: NodeJS.WritableStream, format: string | undefined): boolean {
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  return Boolean((stream as { isTTY?: boolean }).isTTY);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stdout;
  const pretty = wantsPretty(stream, options.format ?? process.env.HEARTH_LOG_FORMAT);
  // Colour only for a terminal that wants it (NO_COLOR: https://no-color.org).
  const colorize = pretty && Boolean((stream as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR;
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'hearth' },
      redact: { paths: secretFieldPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    scrubbingDestination(stream, pretty ? prettyLines(colorize) : undefined),
  );
}
