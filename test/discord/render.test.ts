/** Markdown → Discord markdown: only what Discord shows differently is rewritten. */
import { describe, expect, it } from 'vitest';
import { renderDiscord } from '../../adapters/discord/render.ts';

describe('renderDiscord', () => {
  it('leaves what Discord already understands alone', () => {
    const text = '# Title\n\n**bold**, *italic*, ~~gone~~, `code`, [a link](https://example.org)\n\n> quoted\n\n- one\n- two\n\n1. first';
    expect(renderDiscord(text)).toBe(text);
  });

  it('turns CommonMark __bold__ into **bold** (Discord would underline it) but not snake_case or code', () => {
    expect(renderDiscord('__really__ important, my_var__x and `__init__`')).toBe('**really** important, my_var__x and `__init__`');
  });

  it('makes deep and setext headings, rules and images readable', () => {
    expect(renderDiscord('#### Small heading')).toBe('**Small heading**');
    expect(renderDiscord('Title\n=====\n\nSub\n---')).toBe('# Title\n\n## Sub');
    expect(renderDiscord('above\n\n***\n\nbelow')).toBe('above\n\n───────────\n\nbelow');
    expect(renderDiscord('![a cat](https://example.org/cat.png) and ![](https://example.org/x.png)')).toBe('[a cat](https://example.org/cat.png) and https://example.org/x.png');
  });

  it('puts tables in a code block so the columns line up', () => {
    expect(renderDiscord('Scores:\n\n| who | pts |\n|:---|---:|\n| Ann | 3 |\n\nDone')).toBe('Scores:\n\n```\n| who | pts |\n|:---|---:|\n| Ann | 3 |\n```\n\nDone');
  });

  it('never touches fenced code', () => {
    const text = '```md\n#### not a heading\n__x__\n| a | b |\n|---|---|\n```';
    expect(renderDiscord(text)).toBe(text);
  });
});
