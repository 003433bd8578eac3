import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, registerSecrets } from '../../src/log.ts';
import { loadConfig, secretValues } from '../../src/config/load.ts';

describe('secrets in logs', () => {
  it('scrubs configured tokens and database passwords wherever they appear in a line', () => {
    const config = loadConfig({
      file: false,
      env: { TELEGRAM_BOT_TOKEN: '123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', DATABASE_URL: 'postgres://hearth:s3cr3t-pass@db:5432/hearth' },
    });
    registerSecrets(secretValues(config));
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => lines.push(d.toString()));
    const log = createLogger({ stream });
    log.error({ url: 'https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe' }, 'request failed');
    log.error(new Error('password authentication failed: s3cr3t-pass'), 'db down');
    log.info({ botToken: 'anything-here' }, 'config');
    const output = lines.join('');
    expect(output).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw');
    expect(output).not.toContain('s3cr3t-pass');
    expect(output).not.toContain('anything-here');
    expect(output).toContain('[redacted]');
  });
});
