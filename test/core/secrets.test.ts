import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, registerSecrets, type LogFormat } from '../../src/log.ts';
import { loadConfig, secretValues } from '../../src/config/load.ts';

const TOKEN = '123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const PASSWORD = 's3cr3t-pass';

/** A log sink that says it is (or is not) a terminal, like process.stdout does. */
function sink(isTTY: boolean) {
  const lines: string[] = [];
  const stream = Object.assign(new PassThrough(), { isTTY });
  stream.on('data', (d: Buffer) => lines.push(d.toString()));
  return { stream, output: () => lines.join('') };
}

function logSecrets(stream: NodeJS.WritableStream, format?: LogFormat) {
  registerSecrets(secretValues(loadConfig({ file: false, env: { TELEGRAM_BOT_TOKEN: TOKEN, DATABASE_URL: `postgres://hearth:${PASSWORD}@db:5432/hearth` } })));
  const log = createLogger({ stream, format });
  log.error({ url: `https://api.telegram.org/bot${TOKEN}/getMe` }, 'request failed');
  log.error(new Error(`password authentication failed: ${PASSWORD}`), 'db down');
  log.info({ botToken: 'anything-here' }, 'config');
  log.warn(`polling failed for ${TOKEN}`);
}

describe('logs', () => {
  it.each([
    ['JSON', false, undefined],
    ['readable lines', true, undefined],
    ['readable lines (forced)', false, 'pretty' as const],
  ])('scrub configured tokens and database passwords wherever they appear, as %s', (_name, isTTY, format) => {
    const { stream, output } = sink(isTTY);
    logSecrets(stream, format);
    expect(output()).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw');
    expect(output()).not.toContain(PASSWORD);
    expect(output()).not.toContain('anything-here');
    expect(output()).toContain('[redacted]');
  });

  it('are readable lines on a terminal and JSON lines anywhere else, or when HEARTH_LOG_FORMAT=json', () => {
    const terminal = sink(true);
    createLogger({ stream: terminal.stream }).info({ platforms: ['telegram'] }, 'Hearth is ready');
    expect(terminal.output()).toMatch(/^\[\d\d:\d\d:\d\d\] .*INFO.*: .*Hearth is ready.*telegram/);
    expect(() => JSON.parse(terminal.output())).toThrow();

    for (const { stream, output, format } of [{ ...sink(false), format: undefined }, { ...sink(true), format: 'json' as const }]) {
      createLogger({ stream, format }).info({ platforms: ['telegram'] }, 'Hearth is ready');
      expect(JSON.parse(output())).toMatchObject({ level: 30, msg: 'Hearth is ready', platforms: ['telegram'] });
    }
  });
});
