/**
 * `npm test` on a machine without a PostgreSQL server: the PGlite tests run, the PostgreSQL ones
 * are skipped with one line saying how to run them, and the run passes; with CI set the same
 * run fails. Proven on one real test file in a child vitest (not the whole suite inside a test).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { scaled } from '../helpers/time-scale.ts';

const UNREACHABLE = 'postgres://postgres@127.0.0.1:9/postgres';

function vitest(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/core/database.test.ts', '-t', 'keeps audit records append-only', '--reporter', 'default', '--no-color'], {
      env: { ...process.env, HEARTH_TEST_POSTGRES_URL: UNREACHABLE, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), scaled(90_000));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('tests that need a PostgreSQL server', () => {
  it('are skipped with one how-to line when the server is missing and CI is not set', async () => {
    const { code, output } = await vitest({ CI: undefined });
    expect(output.match(/SKIPPING the tests that need a PostgreSQL server/g)).toHaveLength(1);
    expect(output).toContain('HEARTH_TEST_POSTGRES_URL');
    // The PGlite test ran; the PostgreSQL twin was skipped, not failed.
    expect(output).toMatch(/Tests\s+1 passed \| \d+ skipped/);
    expect(output).not.toMatch(/failed/i);
    expect(code).toBe(0);
  }, scaled(120_000));

  it('fail the run when the server is missing and CI is set', async () => {
    const { code, output } = await vitest({ CI: 'true' });
    expect(output).toMatch(/FAILING the tests that need a PostgreSQL server.*CI is set/);
    expect(code).not.toBe(0);
  }, scaled(120_000));
});
