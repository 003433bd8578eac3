/**
 * Hearth's image, built from the Dockerfile and run by a real Docker engine, the way
 * docker-compose.yml runs it: as the unprivileged `node` user with its data in a volume. It
 * answers a Telegram DM (stand-ins on this machine, reached through the host network), its
 * HEALTHCHECK turns the container healthy, `docker stop` ends it cleanly, and the next container
 * on the same volume finds everything the first one stored.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';
import { describeNeeding } from '../helpers/requirements.ts';
import { eventually } from '../helpers/eventually.ts';

const run = `${process.pid}-${Date.now()}`;
const image = `hearth:test-${run}`;
const volume = `hearth-test-data-${run}`;
const containers: string[] = [];

/** Runs `docker …`; throws with its output when it fails. */
function docker(args: string[], timeoutMs = 60_000): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout.trim();
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describeNeeding('docker', 'the Docker image, built and run by a Docker engine', () => {
  let ollama: FakeOllama;
  let telegram: FakeTelegram;

  beforeAll(async () => {
    docker(['build', '-q', '-t', image, '.'], 900_000);
    ollama = await startFakeOllama();
    telegram = await startFakeTelegram();
  }, 900_000);

  afterAll(async () => {
    for (const name of containers) spawnSync('docker', ['rm', '-f', name]);
    spawnSync('docker', ['volume', 'rm', '-f', volume]);
    spawnSync('docker', ['image', 'rm', '-f', image]);
    await ollama?.close();
    await telegram?.close();
  }, 120_000);

  /** Starts a container on the host network, with the environment a .env file would give. */
  async function startContainer(name: string): Promise<{ name: string; logs(): string }> {
    const port = await freePort();
    const env = {
      HEARTH_HTTP_HOST: '127.0.0.1',
      HEARTH_HTTP_PORT: String(port),
      HEARTH_OWNER: 'telegram:1001',
      OLLAMA_HOST: ollama.url,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
    };
    containers.push(name);
    // Health checked every second here instead of every 30 s: the command is the image's own.
    docker(['run', '-d', '--name', name, '--network', 'host', '--health-interval', '1s', '-v', `${volume}:/data`, ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]), image]);
    return { name, logs: () => spawnSync('docker', ['logs', name], { encoding: 'utf8' }).stdout };
  }

  it('is a small image', () => {
    const megabytes = Number(docker(['image', 'inspect', '--format', '{{.Size}}', image])) / 1e6;
    // node:24-bookworm-slim is about 215 MB of it (the Node binary alone 127 MB).
    expect(megabytes).toBeLessThan(400);
  });

  it('answers a DM as the node user, turns healthy, stops cleanly, and the next container finds the data', { timeout: 300_000 }, async () => {
    const first = await startContainer(`hearth-test-${run}-1`);
    await eventually(() => first.logs().includes('Hearth is ready') || undefined, `the container to be ready; logs:\n${first.logs()}`, 120_000);
    expect(docker(['exec', first.name, 'id', '-un'])).toBe('node');

    const alice = telegram.person(1001, 'Alice', 'alice');
    ollama.reply('Hello from the container.');
    telegram.post(telegram.privateChat(alice), alice, 'hello hearth');
    await eventually(() => telegram.botMessages().find((m) => m.text.includes('Hello from the container')), 'the answer on Telegram', 60_000);

    await eventually(() => docker(['inspect', '--format', '{{.State.Health.Status}}', first.name]) === 'healthy' || undefined, 'the container to report healthy', 60_000);

    docker(['stop', '--time', '30', first.name], 60_000);
    expect(docker(['inspect', '--format', '{{.State.ExitCode}}', first.name])).toBe('0');
    expect(first.logs()).not.toContain(telegram.token.split(':')[1]!);

    // The embedded database lives in the volume: a new container (an update), started without
    // HEARTH_OWNER, still knows the owner's Telegram account, and the audit chain is whole.
    const later = (...command: string[]) => docker(['run', '--rm', '-v', `${volume}:/data`, image, ...command], 120_000);
    expect(later('people', 'list')).toMatch(/owner .*telegram:1001/);
    expect(later('audit', 'verify')).toMatch(/audit chain intact/);
  });
});
