import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { sections, settings, type Setting } from './settings.ts';
import { loadSections } from './sections.ts';
import type { Config } from './types.ts';
import { CONFIG_VERSION, getPath, movesIn, renamedEnv } from './evolution.ts';
import { closestKey, unknownKeys } from './unknown-keys.ts';

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
  return readConfig(options).config;
}

/**
 * The configuration and the warnings worth showing at start: keys and environment variables
 * under their old names (they still work; `hearth config migrate` updates the file).
 */
export function readConfig(options: LoadOptions = {}): { config: Config; warnings: string[] } {
  const env = options.env ?? process.env;
  const file = options.file === false ? '(no file)' : (options.file ?? defaultConfigPath(env));
  const explicitFile = Boolean(options.file ?? env.HEARTH_CONFIG);
  const problems: string[] = [];
  const warnings: string[] = [];
  const fromFile = options.file === false ? {} : readConfigFile(file, explicitFile, problems);

  checkVersion(fromFile, file, problems, warnings);
  for (const move of movesIn(fromFile)) {
    warnings.push(`${file}: "${move.from}" is now "${move.to}"; the old name still works. Fix: run \`hearth config migrate\` to update the file (your comments are kept).`);
    if (getPath(fromFile, move.to) === undefined) setPath(fromFile, move.to, getPath(fromFile, move.from));
    deletePath(fromFile, move.from);
  }
  for (const path of unknownKeys(fromFile, settings, sections.map((s) => s.path))) {
    const meant = closestKey(path, settings);
    problems.push(`${file}: unknown key "${path}".${meant ? ` Did you mean "${meant}"?` : ''} Fix: ${meant ? `rename it to "${meant}"` : 'remove it'}, or check the spelling against docs/configuration.md.`);
  }

  const config: Record<string, unknown> = {};
  /** Settings already reported as wrong: the combination checks must not call them missing too. */
  const invalid = new Set<string>();
  for (const setting of settings) {
    const { value, source } = pick(setting, fromFile, env, options.overrides, file, warnings);
    if (setting.secret && source === file && value !== undefined) {
      problems.push(`${file}: "${setting.path}" is a secret and is not read from the config file. Fix: put ${setting.env}=… in .env or the environment, and remove it from ${file}.`);
      invalid.add(setting.path);
      continue;
    }
    const parsed = setting.schema.safeParse(value === '' ? undefined : value);
    if (parsed.success) {
      if (parsed.data !== undefined) setPath(config, setting.path, parsed.data);
    } else {
      const shown = setting.secret ? mask(value) : JSON.stringify(value);
      const reason = parsed.error.issues[0]?.message ?? 'invalid value';
      problems.push(`${setting.env} (${setting.path}, from ${source}) = ${shown}: ${reason}. Fix: set it to ${setting.hint}.`);
      invalid.add(setting.path);
    }
  }
  if (options.file !== false && existsSync(file)) config.configFile = resolve(file);
  const sectionInputs = { file, config, fromFile: (path: string) => getPath(fromFile, path), fromOverrides: (path: string) => (options.overrides ? getPath(options.overrides, path) : undefined) };
  for (const [path, value] of loadSections(sections, sectionInputs, problems)) if (value !== undefined) setPath(config, path, value);
  checkCombinations(config as unknown as Config, problems, invalid);
  if (problems.length) throw new ConfigError(problems);
  return { config: config as unknown as Config, warnings };
}

/** `version: N` at the top of the file: the format it was written in (absent: version 1). */
function checkVersion(fromFile: Record<string, unknown>, file: string, problems: string[], warnings: string[]): void {
  if (!('version' in fromFile)) return;
  const version = fromFile.version;
  delete fromFile.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    problems.push(`${file}: "version" = ${JSON.stringify(version)}: expected a whole number. Fix: set it to ${CONFIG_VERSION}, or run \`hearth config migrate\`.`);
  } else if (version > CONFIG_VERSION) {
    warnings.push(`${file} is version ${version}, written for a newer Hearth (this one reads version ${CONFIG_VERSION}); keys it does not know are reported.`);
  }
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

function pick(setting: Setting, fromFile: Record<string, unknown>, env: NodeJS.ProcessEnv, overrides: Record<string, unknown> | undefined, file: string, warnings: string[]) {
  const override = overrides ? getPath(overrides, setting.path) : undefined;
  if (override !== undefined) return { value: override, source: 'overrides' };
  for (const old of renamedEnv.filter((r) => r.to === setting.env && env[r.from] !== undefined)) {
    warnings.push(
      env[setting.env] === undefined
        ? `${old.from} is deprecated: rename it to ${old.to} (in .env or your environment); it still works for now.`
        : `${old.from} is deprecated and ignored because ${old.to} is set: remove ${old.from}.`,
    );
    if (env[setting.env] === undefined) return { value: env[old.from], source: `environment (${old.from})` };
  }
  if (env[setting.env] !== undefined) return { value: env[setting.env], source: 'environment' };
  return { value: getPath(fromFile, setting.path), source: file };
}

function checkCombinations(config: Config, problems: string[], invalid: Set<string>): void {
  // A setting given but wrong counts as given here: its own problem is already reported.
  const given = (path: string, value: unknown) => Boolean(value) || invalid.has(path);
  const matrix = config.matrix ?? {};
  const matrixGiven = [given('matrix.homeserverUrl', matrix.homeserverUrl), given('matrix.userId', matrix.userId), given('matrix.accessToken', matrix.accessToken)].filter(Boolean).length;
  if (matrixGiven > 0 && matrixGiven < 3) {
    problems.push('Matrix is half configured. Fix: set all of MATRIX_HOMESERVER_URL, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN, or none of them.');
  }
  const telegram = config.telegram ?? {};
  if (given('telegram.webhookUrl', telegram.webhookUrl) && !given('telegram.webhookSecret', telegram.webhookSecret)) {
    problems.push('TELEGRAM_WEBHOOK_URL is set without TELEGRAM_WEBHOOK_SECRET. Fix: set TELEGRAM_WEBHOOK_SECRET to a random string (`openssl rand -hex 32`) so nobody else can post updates.');
  }
  if ((given('telegram.webhookUrl', telegram.webhookUrl) || given('telegram.apiRoot', telegram.apiRoot)) && !given('telegram.botToken', telegram.botToken)) {
    problems.push('Telegram settings are present but TELEGRAM_BOT_TOKEN is not. Fix: set TELEGRAM_BOT_TOKEN, or remove the other telegram settings.');
  }
}

/** Shows that a secret was set, and its shape, without revealing it. */
export function mask(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) return JSON.stringify(value);
  return value.length <= 8 ? '"***"' : `"${value.slice(0, 2)}***${value.slice(-2)}" (${value.length} characters)`;
}

function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = object;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

function deletePath(object: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  const parent = getPath(object, keys.slice(0, -1).join('.')) ?? (keys.length === 1 ? object : undefined);
  if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[keys.at(-1)!];
}

/** The secret values in a config, for the log scrubber. */
export function secretValues(config: Config): string[] {
  return settings.filter((s) => s.secret).map((s) => getPath(config as unknown as Record<string, unknown>, s.path)).filter((v): v is string => typeof v === 'string' && v.length >= 6);
}
