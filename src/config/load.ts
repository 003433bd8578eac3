import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { settings, type Setting } from './settings.ts';
import type { Config } from './types.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Hearth's configuration has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export interface LoadOptions {
  /** Path of the YAML file; default $HEARTH_CONFIG or ./hearth.config.yaml (optional file); false: none. */
  file?: string | false;
  env?: NodeJS.ProcessEnv;
  /** Values that win over file and environment (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HEARTH_CONFIG ?? 'hearth.config.yaml');
}

/** Reads file + environment, validates every setting, and reports all problems at once. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file === false ? '(no file)' : (options.file ?? defaultConfigPath(env));
  const explicitFile = Boolean(options.file ?? env.HEARTH_CONFIG);
  const problems: string[] = [];
  const fromFile = options.file === false ? {} : readConfigFile(file, explicitFile, problems);

  const known = new Set(settings.map((s) => s.path));
  for (const path of flattenKeys(fromFile)) {
    if (!known.has(path)) problems.push(`${file}: unknown key "${path}". Fix: remove it, or check the spelling against README's configuration table.`);
  }

  const config: Record<string, unknown> = {};
  for (const setting of settings) {
    const { value, source } = pick(setting, fromFile, env, options.overrides, file);
    if (setting.secret && source === file && value !== undefined) {
      problems.push(`${file}: "${setting.path}" is a secret and is not read from the config file. Fix: put ${setting.env}=… in .env or the environment, and remove it from ${file}.`);
      continue;
    }
    const parsed = setting.schema.safeParse(value === '' ? undefined : value);
    if (parsed.success) {
      if (parsed.data !== undefined) setPath(config, setting.path, parsed.data);
    } else {
      const shown = setting.secret ? mask(value) : JSON.stringify(value);
      const reason = parsed.error.issues[0]?.message ?? 'invalid value';
      problems.push(`${setting.env} (${setting.path}, from ${source}) = ${shown}: ${reason}. Fix: set it to ${setting.hint}.`);
    }
  }
  checkCombinations(config as unknown as Config, problems);
  if (problems.length) throw new ConfigError(problems);
  return config as unknown as Config;
}

function readConfigFile(file: string, required: boolean, problems: string[]): Record<string, unknown> {
  if (!existsSync(file)) {
    if (required) problems.push(`config file ${file} does not exist. Fix: create it (see hearth.config.example.yaml) or unset HEARTH_CONFIG.`);
    return {};
  }
  try {
    const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`${file}: expected a mapping of settings at the top level. Fix: see hearth.config.example.yaml.`);
      return {};
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    problems.push(`${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}. Fix: correct the syntax at that line.`);
    return {};
  }
}

function pick(setting: Setting, fromFile: Record<string, unknown>, env: NodeJS.ProcessEnv, overrides: Record<string, unknown> | undefined, file: string) {
  const override = overrides ? getPath(overrides, setting.path) : undefined;
  if (override !== undefined) return { value: override, source: 'overrides' };
  if (env[setting.env] !== undefined) return { value: env[setting.env], source: 'environment' };
  return { value: getPath(fromFile, setting.path), source: file };
}

function checkCombinations(config: Config, problems: string[]): void {
  const matrix = config.matrix ?? {};
  const given = [matrix.homeserverUrl, matrix.userId, matrix.accessToken].filter(Boolean).length;
  if (given > 0 && given < 3) {
    problems.push('Matrix is half configured. Fix: set all of MATRIX_HOMESERVER_URL, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN, or none of them.');
  }
  const telegram = config.telegram ?? {};
  if (telegram.webhookUrl && !telegram.webhookSecret) {
    problems.push('TELEGRAM_WEBHOOK_URL is set without TELEGRAM_WEBHOOK_SECRET. Fix: set TELEGRAM_WEBHOOK_SECRET to a random string (`openssl rand -hex 32`) so nobody else can post updates.');
  }
  if ((telegram.webhookUrl || telegram.apiRoot) && !telegram.botToken) {
    problems.push('Telegram settings are present but TELEGRAM_BOT_TOKEN is not. Fix: set TELEGRAM_BOT_TOKEN, or remove the other telegram settings.');
  }
}

/** Shows that a secret was set, and its shape, without revealing it. */
export function mask(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) return JSON.stringify(value);
  return value.length <= 8 ? '"***"' : `"${value.slice(0, 2)}***${value.slice(-2)}" (${value.length} characters)`;
}

function flattenKeys(object: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(object).flatMap(([key, value]) => {
    if (value === null || value === undefined) return []; // an empty section, e.g. "telegram:" with only comments
    const path = prefix ? `${prefix}.${key}` : key;
    return value && typeof value === 'object' && !Array.isArray(value) ? flattenKeys(value as Record<string, unknown>, path) : [path];
  });
}

function getPath(object: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), object);
}

function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = object;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

/** The secret values in a config, for the log scrubber. */
export function secretValues(config: Config): string[] {
  return settings.filter((s) => s.secret).map((s) => getPath(config as unknown as Record<string, unknown>, s.path)).filter((v): v is string => typeof v === 'string' && v.length >= 6);
}
