/**
 * Structured sections of the configuration: a map or list under one key (MCP servers) that does
 * not fit the flat table of settings.ts, where every value is a scalar with its own environment
 * variable. A section is validated by its own zod schema; each problem names the full key
 * (`mcp.servers.files.sandbox.netwrk`) and the fix, and the file loader leaves the keys inside a
 * section to that schema instead of calling them unknown. A section may also be filled from a
 * second file (HEARTH_MCP_CONFIG), read after the flat settings that name it.
 */
import type { z } from 'zod';

export interface SectionSource {
  /** Where the value came from, for messages: a file name or "overrides". */
  source: string;
  /** The key the value sits under in that source (e.g. `mcpServers` in a JSON file). */
  key: string;
  value: unknown;
}

export interface Section {
  /** Dotted path in the config file and in the Config object. */
  path: string;
  schema: z.ZodType;
  /** What a valid value looks like, used in error messages. */
  hint: string;
  /** Another source of entries, read once the flat settings are known; throws with the fix. */
  include?: (config: Record<string, unknown>) => SectionSource | undefined;
}

type Issue = z.core.$ZodIssue;

/** One line per problem: where, which key, what is wrong, and the fix. */
export function describeIssues(issues: Issue[], where: SectionSource, hint: string): string[] {
  return flatten(issues, []).map(({ path, message, unknownKeys }) => {
    const key = [where.key, ...path].join('.');
    if (unknownKeys) return `${where.source}: unknown key ${unknownKeys.map((k) => `"${key}.${k}"`).join(', ')}. Fix: remove it, or check the spelling: ${hint}.`;
    return `${where.source}: "${key}" ${message}. Fix: ${hint}.`;
  });
}

interface FlatIssue {
  path: PropertyKey[];
  message: string;
  unknownKeys?: string[];
}

function flatten(issues: Issue[], prefix: PropertyKey[]): FlatIssue[] {
  return issues.flatMap((issue): FlatIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') return [{ path, message: '', unknownKeys: issue.keys }];
    if (issue.code === 'invalid_key') return flatten(issue.issues, path).map((inner) => ({ ...inner, message: `is not a valid name: ${inner.message}` }));
    if (issue.code === 'invalid_union') {
      // Report the alternative whose type matched (an object with a misspelt key inside), not
      // "invalid input"; when none or several did, the union's own message says what fits.
      const matching = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
      if (matching.length === 1) return flatten(matching[0]!, path);
    }
    return [{ path, message: lowerFirst(issue.message) }];
  });
}

const lowerFirst = (text: string) => (text ? text[0]!.toLowerCase() + text.slice(1) : text);

/**
 * Validates one section from every source it has and merges the entries. Two sources naming the
 * same entry is a problem rather than a silent override: the owner would not know which counts.
 */
export function loadSection(section: Section, sources: SectionSource[], problems: string[]): unknown {
  const parsed: Array<{ where: SectionSource; data: unknown }> = [];
  for (const where of sources) {
    const result = section.schema.safeParse(where.value);
    if (result.success) parsed.push({ where, data: result.data });
    else problems.push(...describeIssues(result.error.issues, where, section.hint));
  }
  if (parsed.length === 0) {
    const empty = section.schema.safeParse(undefined);
    return empty.success ? empty.data : undefined;
  }
  if (parsed.length === 1 || !parsed.every((p) => isRecord(p.data))) return parsed.at(-1)!.data;
  const merged: Record<string, unknown> = {};
  const from = new Map<string, string>();
  for (const { where, data } of parsed) {
    for (const [name, entry] of Object.entries(data as Record<string, unknown>)) {
      const earlier = from.get(name);
      if (earlier) problems.push(`"${name}" is defined both in ${earlier} and in ${where.source}. Fix: keep it in one of them.`);
      from.set(name, where.source);
      merged[name] = entry;
    }
  }
  return merged;
}

const isRecord = (value: unknown): value is Record<string, unknown> => Boolean(value) && typeof value === 'object' && !Array.isArray(value);

/** True when a dotted file key lies inside a section, whose own schema judges it. */
export function insideSection(sections: Section[], path: string): boolean {
  return sections.some((s) => path === s.path || path.startsWith(`${s.path}.`));
}

export interface SectionInputs {
  /** The config file's name, for messages. */
  file: string;
  fromFile(path: string): unknown;
  fromOverrides(path: string): unknown;
  /** The flat settings, already validated (a section may name its second file there). */
  config: Record<string, unknown>;
}

/** Every section's merged value by path; problems are added to `problems`. Overrides win over files. */
export function loadSections(sections: Section[], inputs: SectionInputs, problems: string[]): Array<[string, unknown]> {
  return sections.map((section) => {
    const sources: SectionSource[] = [];
    const override = inputs.fromOverrides(section.path);
    const inFile = inputs.fromFile(section.path);
    if (override !== undefined) sources.push({ source: 'overrides', key: section.path, value: override });
    else if (inFile !== undefined && inFile !== null) sources.push({ source: inputs.file, key: section.path, value: inFile });
    try {
      const included = section.include?.(inputs.config);
      if (included) sources.push(included);
    } catch (error) {
      problems.push((error as Error).message);
    }
    return [section.path, loadSection(section, sources, problems)];
  });
}
