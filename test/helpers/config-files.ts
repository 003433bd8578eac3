/** Config files written for a test, and the problems Hearth reports when it refuses one. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/load.ts';

/** Writes `text` as a file named `name` in a fresh temporary folder and returns its path. */
export function configFile(text: string, name = 'hearth.config.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hearth-config-')), name);
  writeFileSync(file, text);
  return file;
}

/** The problems of the ConfigError `load` throws; fails the test when it loads fine. */
export function configProblems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}
