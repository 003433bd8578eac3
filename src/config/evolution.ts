/**
 * How the configuration changes between versions without breaking anyone's setup. The config file
 * carries `version`; each key that moved and each environment variable that was renamed is listed
 * here once, with the version that changed it. Old names keep working, with a warning naming the
 * new one, until `hearth config migrate` rewrites the file; environment variables are the
 * person's to rename (in .env or the service definition), so the warning says which.
 *
 * To rename or move a key: change its path in settings.ts, add a line to `movedKeys` with the
 * next version, and raise CONFIG_VERSION. Never remove a line: a file from any older version
 * must still load.
 */
export const CONFIG_VERSION = 2;

export interface KeyMove {
  from: string;
  to: string;
  /** The config version that made the change. */
  since: number;
}

export const movedKeys: KeyMove[] = [
  // The embedding timeout sits with the embedding model, as its variable (OLLAMA_EMBED_TIMEOUT_MS) always said.
  { from: 'memory.embedTimeoutMs', to: 'ollama.embedTimeoutMs', since: 2 },
];

export interface EnvRename {
  from: string;
  to: string;
  since: number;
}

export const renamedEnv: EnvRename[] = [
  // Every memory setting is HEARTH_MEMORY_*; this one was not.
  { from: 'HEARTH_HISTORY_TOKENS', to: 'HEARTH_MEMORY_HISTORY_TOKENS', since: 2 },
];

/** The old name of a key the file still uses, per move that applies to it. */
export function movesIn(tree: Record<string, unknown>): KeyMove[] {
  return movedKeys.filter((move) => getPath(tree, move.from) !== undefined);
}

export function getPath(object: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), object);
}
