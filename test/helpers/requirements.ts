/**
 * Things outside Node that some tests need: a PostgreSQL server, bubblewrap, Radicale, Dovecot,
 * Chromium, a Docker engine. Each is probed once per run (test/helpers/global-setup.ts, in the
 * main vitest process) and the result handed to every test file, so a missing server costs one
 * probe instead of a connection timeout in every file.
 *
 * Missing on a laptop (CI unset): the tests that need it are skipped and one line says how to
 * get it. Missing in CI: those tests fail with the same line — CI must test everything.
 *
 * To add one: an entry in `requirements` below, then `describeNeeding('name', …)` (or
 * `need('name')` inside a test or hook).
 */
import { describe, beforeAll, inject } from 'vitest';
import postgres from 'postgres';
import { serverUrl } from './databases.ts';

export interface Requirement {
  /** What it is, in a few words: "a PostgreSQL server with pgvector". */
  what: string;
  /** Resolves to undefined when present, or to why it is not (a short phrase). */
  probe(): Promise<string | undefined>;
  /** How to get it on this kind of machine. */
  howTo: string;
}

export interface RequirementStatus {
  available: boolean;
  /** Present when missing: the one line shown for it. */
  line?: string;
}

export type RequirementName = keyof typeof requirements;

export const postgresUrl = serverUrl;

/** The Chromium the web admin tests drive (playwright-core brings no browser of its own). */
export const chromiumPath = process.env.HEARTH_TEST_CHROMIUM || '/usr/bin/chromium';

export const requirements = {
  postgres: {
    what: `a PostgreSQL server with pgvector at ${postgresUrl}`,
    howTo: 'start one (on Debian, as root: `bash .ci/install-pgvector && pg_ctlcluster 15 main start`) or point HEARTH_TEST_POSTGRES_URL at one',
    async probe() {
      const sql = postgres(postgresUrl, { max: 1, onnotice: () => {}, connect_timeout: 3, idle_timeout: 1 });
      try {
        const [row] = await sql`select count(*)::int as n from pg_available_extensions where name = 'vector'`;
        return row?.n ? undefined : 'the server has no pgvector extension';
      } catch (error) {
        return (error as { code?: string }).code ?? (error as Error).message;
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    },
  },
  bubblewrap: {
    what: 'bubblewrap (bwrap), the sandbox MCP servers run in',
    howTo: 'install it (on Debian, as root: `apt-get install bubblewrap`; .ci/run does it)',
    async probe() {
      const { spawnSync } = await import('node:child_process');
      const result = spawnSync('bwrap', ['--version'], { encoding: 'utf8' });
      return result.status === 0 ? undefined : 'bwrap is not on PATH';
    },
  },
  radicale: {
    what: 'Radicale (a CalDAV server) from Debian',
    howTo: 'install it (on Debian, as root: `apt-get install radicale`; .ci/run does it)',
    async probe() {
      const { spawnSync } = await import('node:child_process');
      const result = spawnSync('/usr/bin/python3', ['-c', 'import radicale'], { encoding: 'utf8' });
      return result.status === 0 ? undefined : 'the radicale Python module is not installed for /usr/bin/python3';
    },
  },
  dovecot: {
    what: 'Dovecot with IMAP (dovecot-imapd) from Debian',
    howTo: 'install it (on Debian, as root: `apt-get install dovecot-imapd`; .ci/run does it)',
    async probe() {
      const { existsSync } = await import('node:fs');
      const { spawnSync } = await import('node:child_process');
      if (spawnSync('dovecot', ['--version'], { encoding: 'utf8' }).status !== 0) return 'dovecot is not on PATH';
      return existsSync('/usr/lib/dovecot/imap') ? undefined : 'dovecot-imapd is not installed';
    },
  },
  chromium: {
    what: `Chromium (${chromiumPath}), the real browser the web admin tests drive`,
    howTo: 'install it (on Debian, as root: `apt-get install chromium`; .ci/run does it) or point HEARTH_TEST_CHROMIUM at a Chromium binary',
    async probe() {
      const { spawnSync } = await import('node:child_process');
      const result = spawnSync(chromiumPath, ['--version'], { encoding: 'utf8', timeout: 20_000 });
      return result.status === 0 ? undefined : `${chromiumPath} ${result.error ? `cannot run (${result.error.message})` : `exited with ${result.status}`}`;
    },
  },
  docker: {
    what: 'a Docker engine with the node:24-bookworm-slim base image, to build and run Hearth\'s image',
    howTo: 'as root: `bash .ci/docker-engine` (installs Debian\'s docker.io, starts the engine, pulls the base image or builds a stand-in; .ci/run does it)',
    async probe() {
      const { spawnSync } = await import('node:child_process');
      const engine = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
      if (engine.status !== 0) return engine.error ? 'no docker command' : 'no Docker engine answers';
      const base = spawnSync('docker', ['image', 'inspect', 'node:24-bookworm-slim'], { encoding: 'utf8', timeout: 20_000 });
      return base.status === 0 ? undefined : 'the base image node:24-bookworm-slim is not here';
    },
  },
} satisfies Record<string, Requirement>;

export const inCi = (env: NodeJS.ProcessEnv = process.env): boolean => Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';

/** Probes every requirement (in parallel) and says what is missing, in one line each. */
export async function probeRequirements(env: NodeJS.ProcessEnv = process.env): Promise<Record<RequirementName, RequirementStatus>> {
  const entries = await Promise.all(
    Object.entries(requirements).map(async ([name, requirement]) => {
      const missing = await requirement.probe();
      if (!missing) return [name, { available: true }] as const;
      const line = inCi(env)
        ? `✗ FAILING the tests that need ${requirement.what}: not available (${missing}) and CI is set. To fix: ${requirement.howTo}.`
        : `⚠ SKIPPING the tests that need ${requirement.what}: not available (${missing}). To run them: ${requirement.howTo}. (With CI set they fail instead.)`;
      return [name, { available: false, line }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<RequirementName, RequirementStatus>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    requirements: Record<RequirementName, RequirementStatus>;
  }
}

export function requirementStatus(name: RequirementName): RequirementStatus {
  return inject('requirements')?.[name] ?? { available: false, line: `the requirement "${name}" was not probed: run the tests through vitest.config.ts` };
}

/**
 * A describe block for tests that need `name`: run when it is there, skipped when it is not
 * (CI unset), failed with the how-to line when it is not and CI is set.
 */
export function describeNeeding(name: RequirementName, title: string, body: () => void): void {
  const status = requirementStatus(name);
  if (status.available) {
    describe(title, body);
  } else if (!inCi()) {
    describe.skip(`${title} (needs ${requirements[name].what})`, body);
  } else {
    describe(title, () => {
      beforeAll(() => {
        throw new Error(status.line);
      });
      body();
    });
  }
}

/** For a test or hook that needs `name` outside describeNeeding: fails at once, with the how-to. */
export function need(name: RequirementName): void {
  const status = requirementStatus(name);
  if (!status.available) throw new Error(status.line);
}
