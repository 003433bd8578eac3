/**
 * Hearth's device survives restarts: the real `hearth start` command runs as its own process with
 * an embedded database and the crypto store in its data folder; it is stopped (SIGTERM), started
 * again, killed with SIGKILL right after answering, and started again. Each time the person's next
 * encrypted message is still decrypted and answered, by the same device with the same keys.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { eventually, fakeHomeserver, OWNER } from '../fakes/matrix-fixture.ts';
import { Person } from '../fakes/matrix-person.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';

let fake: FakeMatrix | undefined;
let ollama: FakeOllama | undefined;
let person: Person | undefined;
let child: ChildProcess | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  person?.stop();
  child?.kill('SIGKILL');
  await fake?.close();
  await ollama?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `hearth start` and resolves once it says it is ready. */
async function startHearthProcess(env: Record<string, string>): Promise<{ process: ChildProcess; output: () => string }> {
  const proc = spawn(process.execPath, ['bin/hearth.js', 'start'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HEARTH_CONFIG: 'hearth.config.example.yaml', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  await eventually(() => output.includes('Hearth is ready') || (proc.exitCode !== null && Promise.reject(new Error(`hearth start exited:\n${output}`))), 'hearth start to be ready', 240_000);
  return { process: proc, output: () => output };
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((resolve) => proc.once('exit', () => resolve()));
}

describe('Hearth restarted between encrypted messages', { timeout: 900_000 }, () => {
  it('still decrypts and answers after a restart and after kill -9, with the same device keys', async () => {
    fake = await fakeHomeserver();
    ollama = await startFakeOllama();
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2ee-restart-'));
    const dm = fake.createRoom({ members: [OWNER], encrypted: true });
    const env = {
      HEARTH_DATA_DIR: dataDir,
      HEARTH_OWNER: `matrix:${OWNER}`,
      HEARTH_HTTP_PORT: '0',
      HEARTH_LOG_LEVEL: 'info',
      OLLAMA_HOST: ollama.url,
      MATRIX_HOMESERVER_URL: fake.url,
      MATRIX_USER_ID: fake.botUserId,
      MATRIX_ACCESS_TOKEN: fake.accessToken,
    };
    let hearth = await startHearthProcess(env);
    const keys = await eventually(() => fake!.e2ee.device(fake!.botUserId, fake!.botDeviceId), 'Hearth to upload its device keys', 120_000);
    const uploads = () => fake!.callsTo('POST', /^\/keys\/upload$/).filter((c) => c.userId === fake!.botUserId);
    person = await Person.login(fake, OWNER, 'OWNERPHONE');
    const answered = (text: string) => person!.waitFor(fake!.botUserId, dm, (m) => m.some((a) => a.text === `echo: ${text}`), `the answer to "${text}"`, 120_000);

    await person.send(dm, 'one');
    await answered('one');

    // 1. An orderly restart.
    hearth.process.kill('SIGTERM');
    await exited(hearth.process);
    hearth = await startHearthProcess(env);
    await person.send(dm, 'two');
    await answered('two');

    // 2. kill -9 right after answering: nothing gets to save anything at stop.
    await person.send(dm, 'three');
    await answered('three');
    hearth.process.kill('SIGKILL');
    await exited(hearth.process);
    await person.send(dm, 'four (sent while Hearth was dead)');
    hearth = await startHearthProcess(env);
    await answered('four (sent while Hearth was dead)');
    await person.send(dm, 'five');
    await answered('five');
    child = hearth.process;

    // The same device with the same identity keys; the homeserver never refused an upload.
    expect(fake.e2ee.device(fake.botUserId, fake.botDeviceId)!.keys).toEqual(keys.keys);
    expect(uploads().filter((c) => c.status !== 200)).toEqual([]);
    expect(uploads().filter((c) => (c.body as { device_keys?: unknown }).device_keys !== undefined)).toHaveLength(1);
    const texts = (await person.messagesFrom(fake.botUserId, dm)).filter((m) => m.msgtype === 'm.text').map((m) => m.text);
    expect(texts).toEqual(['echo: one', 'echo: two', 'echo: three', 'echo: four (sent while Hearth was dead)', 'echo: five']);
    // The crypto store is private to the account running Hearth.
    const store = join(dataDir, 'matrix', `crypto-${fake.botDeviceId}.bin`);
    expect(statSync(store).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'matrix')).mode & 0o777).toBe(0o700);
    // One key backup (and so one recovery key) for the device, however often it restarted.
    expect(fake.callsTo('POST', /^\/room_keys\/version$/)).toHaveLength(1);
    expect(fake.callsTo('POST', /^\/keys\/device_signing\/upload$/)).toHaveLength(1);
    // The recovery key was written once to its file, and never printed.
    const recoveryKey = readFileSync(join(dataDir, 'matrix', 'recovery-key.txt'), 'utf8').trim().split('\n').at(-1)!;
    expect(recoveryKey).toMatch(/^E[sS]\w{2} /);
    expect(hearth.output()).not.toContain(recoveryKey);
  });
});
