/**
 * Keys in the config file that Hearth does not know, each with the closest key it does know, so a
 * typo ("olama.host", "http.prot", "OLLAMA_MODEL:" written as a key) is an error that says what
 * was meant. Structured sections (free-form maps validated by their own schema, e.g.
 * `mcp.servers`) are opaque here: their inside is not a list of settings.
 */
import { distance } from 'fastest-levenshtein';

export interface KnownKey {
  path: string;
  env: string;
}

/** Dotted paths of the file's leaves, stopping at structured sections. */
export function fileKeys(tree: Record<string, unknown>, structured: readonly string[], prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) => {
    if (value === null || value === undefined) return []; // an empty section, e.g. "telegram:" with only comments
    const path = prefix ? `${prefix}.${key}` : key;
    if (structured.includes(path)) return [path];
    return typeof value === 'object' && !Array.isArray(value) ? fileKeys(value as Record<string, unknown>, structured, path) : [path];
  });
}

export function unknownKeys(tree: Record<string, unknown>, known: readonly KnownKey[], structured: readonly string[]): string[] {
  const paths = new Set([...known.map((k) => k.path), ...structured]);
  return fileKeys(tree, structured).filter((path) => !paths.has(path) && !structured.some((s) => path.startsWith(`${s}.`)));
}

/** The known key most likely meant, or undefined when nothing is close. */
export function closestKey(path: string, known: readonly KnownKey[]): string | undefined {
  const lower = path.toLowerCase();
  const byEnv = known.find((k) => k.env.toLowerCase() === lower || k.env.toLowerCase() === lower.split('.').at(-1));
  if (byEnv) return byEnv.path;
  const sameIgnoringCase = known.find((k) => k.path.toLowerCase() === lower);
  if (sameIgnoringCase) return sameIgnoringCase.path;
  let best: { path: string; score: number } | undefined;
  for (const k of known) {
    const score = distance(lower, k.path.toLowerCase());
    if (!best || score < best.score) best = { path: k.path, score };
  }
  if (best && best.score <= Math.max(2, Math.floor(path.length / 4))) return best.path;
  // The right name in the wrong section: "agent.model" → "ollama.model".
  const last = lower.split('.').at(-1)!;
  return known.find((k) => k.path.toLowerCase().split('.').at(-1) === last)?.path;
}
