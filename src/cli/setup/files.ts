/**
 * Writing what `hearth setup` learned without losing what was there. hearth.config.yaml is
 * edited through the `yaml` library's Document API, so comments, order and every key the wizard
 * did not touch survive; .env keeps its other lines and comments, and is written owner-only
 * (0600) because it holds tokens. Both are written to a temporary file and renamed, so a crash
 * never leaves half a file.
 */
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isMap, parseDocument, type Document } from 'yaml';

/** Dotted config path → value; undefined leaves the key as it is. */
export type ConfigChanges = Record<string, string | undefined>;

const HEADER = `Hearth configuration, written by \`hearth setup\` (run it again any time: it keeps what you
have). Every key can also be set with the environment variable named in docs/configuration.md.
Secrets (tokens, DATABASE_URL) live in .env, never here.`;

export function readConfigDocument(file: string): Document {
  const doc = existsSync(file) ? parseDocument(readFileSync(file, 'utf8')) : parseDocument('');
  if (doc.errors.length) throw new Error(`${file} is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}). Fix that line first; setup will not rewrite a file it cannot read.`);
  return doc;
}

/** Sets each changed key in place; sections that are empty (`telegram:` with only comments) are filled. */
export function updateConfigFile(file: string, changes: ConfigChanges): boolean {
  const fresh = !existsSync(file);
  const doc = readConfigDocument(file);
  let changed = false;
  for (const [path, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    const keys = path.split('.');
    if (String(doc.getIn(keys) ?? '') === value) continue;
    for (let depth = 1; depth < keys.length; depth++) {
      // An empty section parses as null; it must become a mapping before a key can go in.
      const section = doc.getIn(keys.slice(0, depth), true) as { comment?: string | null } | undefined;
      if (isMap(section)) continue;
      const filled = doc.createNode({});
      // The section's commented-out examples belong to the null value; keep them above the new keys.
      if (section?.comment) filled.commentBefore = section.comment;
      doc.setIn(keys.slice(0, depth), filled);
    }
    doc.setIn(keys, value);
    changed = true;
  }
  if (!changed) return false;
  if (fresh) doc.commentBefore = HEADER.replace(/^/gm, ' ');
  writeAtomically(file, doc.toString());
  return true;
}

/** A .env line `KEY=value`, ignoring `export ` and spaces around `=`. */
const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

export function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const key = LINE.exec(line)?.[1];
    if (key) values[key] = unquote(line.slice(line.indexOf('=') + 1).trim());
  }
  return values;
}

/** Replaces each key's line where it is (the first one) or appends it; every other line stays. */
export function updateEnvFile(file: string, changes: Record<string, string | undefined>): boolean {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : ['# Secrets for Hearth (written by `hearth setup`; keep this file private).'];
  if (lines.at(-1) === '') lines.pop();
  const current = readEnvFile(file);
  let changed = false;
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || current[key] === value) continue;
    if (/[\r\n]/.test(value)) throw new Error(`${key} cannot contain a line break`);
    const line = `${key}=${quote(value)}`;
    const at = lines.findIndex((l) => LINE.exec(l)?.[1] === key);
    if (at >= 0) lines[at] = line;
    else lines.push(line);
    changed = true;
  }
  if (changed) writeAtomically(file, `${lines.join('\n')}\n`, 0o600);
  // Tokens are in here: owner-only even when the file was there before with looser rights.
  if (existsSync(file)) chmodSync(file, 0o600);
  return changed;
}

/** Quotes the way Node's own .env reader (process.loadEnvFile) reads back: it has no escapes. */
function quote(value: string): string {
  if (/^[\w@%+=:,./-]*$/.test(value)) return value;
  const mark = ["'", '"', '`'].find((q) => !value.includes(q));
  if (!mark) throw new Error('a value with all three kinds of quotes cannot be written to .env');
  return `${mark}${value}${mark}`;
}

function unquote(value: string): string {
  const quoted = /^(["'`])(.*)\1$/.exec(value);
  return quoted ? quoted[2]! : value.replace(/\s+#.*$/, '');
}

/** Keeps the file's own permissions unless `mode` says otherwise. */
function writeAtomically(file: string, text: string, mode?: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const keep = mode ?? (existsSync(file) ? statSync(file).mode & 0o777 : 0o644);
  writeFileSync(temporary, text, { mode: keep });
  chmodSync(temporary, keep);
  renameSync(temporary, file);
}
