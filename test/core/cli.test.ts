/**
 * The commands README gives a newcomer, run as a newcomer would: a real `hearth` process with the
 * Ollama stand-in, a fresh data folder and no config file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { runHearth } from '../helpers/run-hearth.ts';

describe('the hearth command', () => {
  let ollama: FakeOllama;
  let env: Record<string, string>;
  beforeAll(async () => {
    ollama = await startFakeOllama();
    env = { HEARTH_DATA_DIR: mkdtempSync(join(tmpdir(), 'hearth-cli-')), OLLAMA_HOST: ollama.url, HEARTH_CONFIG: 'hearth.config.example.yaml' };
  });
  afterAll(() => ollama.close());

  it('`hearth chat` answers piped lines, one reply per line, and remembers the conversation', async () => {
    ollama.reply('Nice to meet you, Olive.', 'You told me your name is Olive.');
    const result = await runHearth(['chat'], env, { input: 'my name is Olive\nwhat is my name?\n' });
    expect(result.stdout).toBe('Nice to meet you, Olive.\nYou told me your name is Olive.\n');
    expect(result.code).toBe(0);
    const last = ollama.chatRequests.at(-1)!.messages.map((m) => m.content);
    expect(last).toContain('my name is Olive');
  });

  it('`hearth doctor` reports each problem with its fix and exits non-zero', async () => {
    const result = await runHearth(['doctor'], { ...env, OLLAMA_MODEL: 'mistral:7b' });
    expect(result.stdout).toMatch(/✓ database: pglite/);
    expect(result.stdout).toMatch(/✓ Ollama: http:\/\/127\.0\.0\.1/);
    expect(result.stdout).toMatch(/✗ chat model: mistral:7b is not pulled.*\n\s+fix: run `ollama pull mistral:7b`/);
    expect(result.code).toBe(1);
  });

  it('`hearth doctor` passes on a healthy setup', async () => {
    const result = await runHearth(['doctor'], env);
    expect(result.stdout).toMatch(/Everything looks good/);
    expect(result.code).toBe(0);
  });

  it('a malformed setting stops start with the key and the fix, not a stack trace', async () => {
    const result = await runHearth(['start'], { ...env, HEARTH_HTTP_PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/HEARTH_HTTP_PORT .*"eighty".*Fix: set it to a TCP port number/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('`hearth migrate` says where the schema stands', async () => {
    const result = await runHearth(['migrate'], env);
    expect(result.stdout).toMatch(/pglite at .*: (already up to date|applied \d+ migration\(s\)); schema at (\d+)\/\2\./);
    expect(result.code).toBe(0);
  });
});
