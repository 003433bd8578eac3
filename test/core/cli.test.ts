/**
 * The commands README gives a newcomer, run as a newcomer would: a real `hearth` process with the
 * Ollama stand-in, a fresh data folder and no config file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personText, startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { runHearth } from '../helpers/run-hearth.ts';
import { spawnHearth } from '../helpers/hearth-process.ts';

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
    const last = ollama.chatRequests.at(-1)!.messages.map((m) => personText(m.content));
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

  it('`hearth doctor` shows what is missing but not broken as warnings, and still passes', async () => {
    // A fresh data folder: the shared one already holds the example owner from earlier runs.
    const result = await runHearth(['doctor'], { ...env, HEARTH_OWNER: '', HEARTH_DATA_DIR: mkdtempSync(join(tmpdir(), 'hearth-cli-')) });
    expect(result.stdout).toMatch(/⚠ owner: nobody owns this Hearth on a chat platform yet.*\n\s+to do: run `hearth owner claim`/);
    expect(result.stdout).toMatch(/⚠ chat platforms: none is configured.*\n\s+to do: run `hearth setup`/);
    expect(result.stdout).toMatch(/Everything looks good\. 2 warning\(s\) above/);
    expect(result.code).toBe(0);
  });

  it('`hearth start` on an install that is not set up says what to do next, in plain words', async () => {
    const started = spawnHearth(['start'], { ...env, HEARTH_HTTP_PORT: '0', HEARTH_LOG_FORMAT: 'pretty' });
    try {
      await started.waitFor(/no chat app is connected yet[\s\S]*npx hearth setup[\s\S]*npx hearth chat/, 'the next steps', 60_000);
      expect(started.output()).toMatch(/INFO.*Hearth is ready/); // readable lines, not JSON
    } finally {
      await started.stop();
    }
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
