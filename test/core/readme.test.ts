/** README is the newcomer's guide and docs/configuration.md the reference: every setting is documented, the commands exist. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settings } from '../../src/config/settings.ts';

const readme = readFileSync('README.md', 'utf8');
const configurationReference = readFileSync('docs/configuration.md', 'utf8');
const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

describe('README', () => {
  it('documents every setting by its environment variable', () => {
    const missing = settings.filter((s) => !configurationReference.includes(`\`${s.env}\``)).map((s) => s.env);
    expect(missing).toEqual([]);
  });

  it('links every guide it names, and each exists', () => {
    const links = [...readme.matchAll(/\]\((docs\/[\w.-]+\.md)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !existsSync(link))).toEqual([]);
  });

  it('gives the two commands, and they exist', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    expect(packageJson.scripts.start).toBeDefined();
    expect(packageJson.scripts.test).toBeDefined();
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
  });
});
