/**
 * Structured logs (pino), one JSON object per line. Secrets are scrubbed from the finished line:
 * platform libraries sometimes put tokens in URLs or error messages (Telegram's token is part of
 * every Bot API URL), so redacting known field names alone is not enough.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

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

function scrubbingDestination(target: NodeJS.WritableStream): DestinationStream {
  return { write: (line: string) => void target.write(scrubSecrets(line)) };
}

const secretFields = ['token', 'accessToken', 'botToken', 'password', 'authorization', 'secret', 'webhookSecret'];
/** Field names that hold secrets, at the top level and one level down (pino paths do not recurse). */
const secretFieldPaths = [...secretFields, ...secretFields.map((field) => `*.${field}`)];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout by default, stderr for `hearth chat` so replies stay clean. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'hearth' },
      redact: { paths: secretFieldPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    scrubbingDestination(options.stream ?? process.stdout),
  );
}
