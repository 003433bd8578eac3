/**
 * The Dockerfile's stages, run step by step as a plain script (no container engine runs here):
 * each stage gets a folder standing in for its filesystem; WORKDIR, ENV, COPY (from the build
 * context, honouring .dockerignore, or from an earlier stage) and RUN are carried out as written,
 * with the stage's absolute paths under that folder. Then the image's ENTRYPOINT + CMD start
 * Hearth from the assembled /app with the image's environment, the HEALTHCHECK command itself
 * must pass, and SIGTERM must stop it cleanly. This catches a runtime import of a dev-only
 * package, a file the image forgot, and a broken health check.
 *
 * Not reproduced: the base image (this machine's Node 24 and shell stand in for
 * node:24-bookworm-slim's), its system packages, USER (steps run as this machine's user; the
 * `chown` to the image's `node` user is skipped) and VOLUME. With a Docker engine,
 * docker-image.test.ts builds and runs the real image.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fakes/ollama.ts';
import { until } from '../helpers/eventually.ts';

const root = mkdtempSync(join(tmpdir(), 'hearth-image-'));
afterAll(() => rm(root, { recursive: true, force: true }), 300_000);

const ignored = readFileSync('.dockerignore', 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
const skipped: string[] = [];

interface Stage {
  name: string;
  folder: string;
  workdir: string;
  env: Record<string, string>;
}

const inStage = (stage: Stage, path: string) => join(stage.folder, path.startsWith('/') ? path : join(stage.workdir, path));
/** Absolute container paths in a shell command, moved under the stage's folder. */
const mapPaths = (stage: Stage, command: string) => command.replace(/(^|[\s=])\/(app|data)\b/g, (_, before: string, top: string) => `${before}${stage.folder}/${top}`);

function run(stage: Stage, instruction: Instruction, stages: Map<string, Stage>): void {
  const keyword = instruction.getKeyword();
  const args = instruction.getArguments().map((a) => a.getValue());
  if (keyword === 'WORKDIR') {
    stage.workdir = args[0]!;
    mkdirSync(inStage(stage, '.'), { recursive: true });
  } else if (keyword === 'ENV') {
    for (const property of (instruction as unknown as { getProperties(): Array<{ getName(): string; getValue(): string | null }> }).getProperties()) stage.env[property.getName()] = property.getValue() ?? '';
  } else if (keyword === 'COPY') {
    const from = (instruction as unknown as { getFromFlag(): { getValue(): string } | null }).getFromFlag()?.getValue();
    const sources = args.filter((a) => !a.startsWith('--'));
    const target = sources.pop()!;
    for (const source of sources) {
      const origin = from ? inStage(stages.get(from)!, source) : source;
      if (!from && ignored.some((pattern) => source === pattern)) throw new Error(`COPY ${source}: excluded by .dockerignore`);
      const destination = target.endsWith('/') ? join(inStage(stage, target), source.split('/').at(-1)!) : inStage(stage, target);
      cpSync(origin, destination, {
        recursive: true,
        filter: (path) => from !== undefined || !ignored.some((pattern) => path.split('/').includes(pattern)),
      });
    }
  } else if (keyword === 'RUN') {
    const command = instruction.getArgumentsContent()!;
    if (/^apt-get update\b/.test(command)) {
      // Debian's package manager: the image's system packages, not something a script here installs.
      skipped.push(`${stage.name}: RUN ${command} (system packages)`);
      return;
    }
    if (/\bchown\b/.test(command)) {
      skipped.push(`${stage.name}: RUN ${command} (needs the image's node user)`);
      const mkdir = /mkdir -p (\S+)/.exec(command);
      if (mkdir) mkdirSync(mapPaths(stage, mkdir[1]!), { recursive: true });
      return;
    }
    const result = spawnSync('sh', ['-c', mapPaths(stage, command)], { cwd: inStage(stage, '.'), env: { ...process.env, ...stage.env }, encoding: 'utf8', timeout: 480_000 });
    if (result.status !== 0) throw new Error(`${stage.name}: RUN ${command} failed:\n${result.stdout}\n${result.stderr}`);
  } else if (!['FROM', 'USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD'].includes(keyword)) {
    throw new Error(`this script does not know ${keyword}: teach it, or the check no longer covers the Dockerfile`);
  }
}

function build() {
  const dockerfile = DockerfileParser.parse(readFileSync('Dockerfile', 'utf8'));
  const froms = dockerfile.getFROMs();
  const stages = new Map<string, Stage>();
  let stage: Stage | undefined;
  for (const instruction of dockerfile.getInstructions()) {
    const from = froms.find((f) => f.getRange().start.line === instruction.getRange().start.line);
    if (from) {
      stage = { name: from.getBuildStage()!, folder: join(root, from.getBuildStage()!), workdir: '/', env: {} };
      stages.set(stage.name, stage);
    }
    run(stage!, instruction, stages);
  }
  const final = stage!;
  const json = (keyword: string) => JSON.parse(dockerfile.getInstructions().filter((i) => i.getKeyword() === keyword).at(-1)!.getArgumentsContent()!) as string[];
  const healthcheck = JSON.parse(dockerfile.getHEALTHCHECKs().at(-1)!.getArgumentsContent()!.replace(/^.*?CMD\s+/s, '')) as string[];
  return { final, command: [...json('ENTRYPOINT'), ...json('CMD')], healthcheck };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('the Dockerfile, step by step', () => {
  it('builds every stage, and the result starts, passes its HEALTHCHECK and stops cleanly', { timeout: 900_000 }, async () => {
    const { final, command, healthcheck } = build();
    expect(existsSync(join(final.folder, 'app/node_modules/@electric-sql/pglite'))).toBe(true);
    expect(existsSync(join(final.folder, 'app/node_modules/vitest'))).toBe(false); // dev dependencies stay out
    expect(existsSync(join(final.folder, 'app/test'))).toBe(false);
    expect(skipped).toEqual([expect.stringMatching(/^runtime: RUN apt-get update .*bubblewrap/s), expect.stringMatching(/^runtime: RUN mkdir -p \/data && chown node:node \/data/)]);

    const ollama = await startFakeOllama();
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '', HOME: final.folder, ...final.env, HEARTH_DATA_DIR: join(final.folder, 'data'), HEARTH_HTTP_PORT: String(port), HEARTH_HTTP_HOST: '127.0.0.1', OLLAMA_HOST: ollama.url };
    const [program, ...args] = command;
    expect(program).toBe('node');
    const hearth = spawn(process.execPath, args, { cwd: join(final.folder, 'app'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    hearth.stdout.on('data', (d) => (output += d));
    hearth.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => hearth.on('exit', resolve));
    try {
      await until(() => output.includes('Hearth is ready'), `Hearth started from the image's /app\n${output}`, 240_000);
      const [checkProgram, ...checkArgs] = healthcheck;
      expect(checkProgram).toBe('node');
      const check = spawnSync(process.execPath, checkArgs, { env, encoding: 'utf8' });
      expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
      expect(existsSync(join(final.folder, 'data/pglite'))).toBe(true);
    } finally {
      hearth.kill('SIGTERM');
      expect(await exited).toBe(0);
      await ollama.close();
    }
  });
});
