/** Adapters depend only on src/core and their own folder, never on each other or the pipeline. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const platforms = readdirSync('adapters');

describe('adapter boundaries', () => {
  it.each(platforms)('adapters/%s imports only src/core and its own files', (platform) => {
    const offending: string[] = [];
    for (const file of readdirSync(join('adapters', platform)).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join('adapters', platform, file), 'utf8');
      for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (!specifier!.startsWith('.')) continue; // a package
        if (specifier === '../../src/core/index.ts' || /^\.\/[\w.-]+$/.test(specifier!)) continue;
        offending.push(`${file}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
