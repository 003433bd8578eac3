/**
 * `hearth config migrate`: rewrites the config file in place for this version — moved keys under
 * their new names, `version` set — through the yaml Document API, so the person's comments, key
 * order and blank lines survive (only the spacing before end-of-line comments is normalized).
 * A comment written just above a moved key travels with it.
 */
import { isMap, isScalar, parseDocument, visit, type Document, type Pair, type YAMLMap } from 'yaml';
import { CONFIG_VERSION, movedKeys } from './evolution.ts';

export interface ConfigMigration {
  text: string;
  /** What changed, in words; empty when the file was already current. */
  changes: string[];
}

export function migrateConfigText(text: string): ConfigMigration {
  const document = parseDocument(text);
  if (document.errors.length) throw new Error(`the file is not valid YAML: ${document.errors[0]!.message.split('\n')[0]}`);
  if (document.contents === null) document.contents = document.createNode({}) as never;
  const root = document.contents;
  if (!isMap(root)) throw new Error('expected a mapping of settings at the top level');
  const changes: string[] = [];
  for (const move of movedKeys) {
    const from = move.from.split('.');
    const to = move.to.split('.');
    const parent = mapAt(document, from.slice(0, -1));
    const index = parent?.items.findIndex((pair) => keyName(pair) === from.at(-1)) ?? -1;
    if (!parent || index < 0) continue;
    const [pair] = parent.items.splice(index, 1) as [Pair];
    if (index === 0 && parent.commentBefore && isScalar(pair.key)) {
      // A comment just above the first key of a section is the key's, not the section's.
      pair.key.commentBefore = parent.commentBefore;
      parent.commentBefore = undefined;
    }
    if (document.hasIn(to)) {
      changes.push(`removed "${move.from}": "${move.to}" is already set, and wins`);
    } else {
      if (isScalar(pair.key)) pair.key.value = to.at(-1);
      else pair.key = document.createNode(to.at(-1));
      ensureMap(document, to.slice(0, -1)).items.push(pair);
      changes.push(`moved "${move.from}" to "${move.to}"`);
    }
    if (parent !== root && parent.items.length === 0 && !parent.commentBefore && !parent.comment) document.deleteIn(from.slice(0, -1));
  }
  const version = document.get('version');
  if (version !== CONFIG_VERSION) {
    if (document.has('version')) document.set('version', CONFIG_VERSION);
    else insertVersion(document, root);
    changes.push(`set "version" to ${CONFIG_VERSION}${version === undefined ? '' : ` (was ${JSON.stringify(version)})`}`);
  }
  if (changes.length) keepCommentsOfEmptySections(document, text);
  return { text: changes.length ? document.toString({ lineWidth: 0 }) : text, changes };
}

/**
 * `discord:` followed by a commented-out line parses as an empty value carrying that comment,
 * which would print on the key's own line; keep it on its line below the key, as written.
 */
function keepCommentsOfEmptySections(document: Document, source: string): void {
  visit(document, {
    Scalar(_, node) {
      const [start, , end] = node.range ?? [0, 0, 0];
      if (node.value === null && node.comment && !node.comment.includes('\n') && source.slice(start, end).includes('\n')) {
        node.commentBefore = node.comment;
        node.comment = undefined;
      }
    },
  });
}

function keyName(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function mapAt(document: Document, path: string[]): YAMLMap | undefined {
  const node = path.length ? document.getIn(path, true) : document.contents;
  return isMap(node) ? node : undefined;
}

function ensureMap(document: Document, path: string[]): YAMLMap {
  const existing = mapAt(document, path);
  if (existing) return existing;
  document.setIn(path, document.createNode({}));
  const created = mapAt(document, path)!;
  created.flow = false;
  return created;
}

/**
 * `version` goes first. A header comment (separated from the first key's own comment by a blank
 * line) stays above it.
 */
function insertVersion(document: Document, root: YAMLMap): void {
  const pair = document.createPair('version', CONFIG_VERSION);
  if (isScalar(pair.value)) pair.value.comment = ' the format of this file; `hearth config migrate` updates it';
  const first = root.items[0];
  const firstKey = first && isScalar(first.key) ? first.key : undefined;
  const before = firstKey?.commentBefore;
  if (firstKey && before?.includes('\n\n')) {
    const cut = before.lastIndexOf('\n\n');
    (pair.key as { commentBefore?: string }).commentBefore = before.slice(0, cut);
    firstKey.commentBefore = before.slice(cut + 2);
    firstKey.spaceBefore = true;
  } else if (firstKey) {
    firstKey.spaceBefore = true;
  }
  root.items.unshift(pair);
}
