import { describe, expect, it } from 'vitest';
import { chunkMessage } from '../../src/core/chunk.ts';

/** The lines inside fenced blocks of one message. */
function codeLines(message: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of message.split('\n')) {
    if (line.startsWith('```')) inside = !inside;
    else if (inside) out.push(line);
  }
  return out;
}

describe('chunkMessage', () => {
  it('keeps a short message whole', () => {
    expect(chunkMessage('  hello  ', 100)).toEqual(['hello']);
    expect(chunkMessage('   ', 100)).toEqual([]);
  });

  it('splits on paragraph boundaries first', () => {
    const paragraphs = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60)];
    expect(chunkMessage(paragraphs.join('\n\n'), 130)).toEqual([`${paragraphs[0]}\n\n${paragraphs[1]}`, paragraphs[2]]);
  });

  it('splits a long paragraph between sentences, then words', () => {
    const text = 'One sentence here. Another sentence there! A third one? '.repeat(4).trim();
    const chunks = chunkMessage(text, 60);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(60);
      expect(chunk).toMatch(/[.!?]$/);
    }
    expect(chunks.join(' ')).toBe(text);
  });

  it('re-fences a code block that is longer than the limit and never cuts a line of code', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `const value${i} = compute(${i});`);
    const chunks = chunkMessage(['Intro.', '```ts', ...lines, '```', 'Outro.'].join('\n'), 200);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(200);
      expect((chunk.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(chunks.flatMap(codeLines)).toEqual(lines);
  });

  it('closes an unclosed fence so later messages do not turn into code', () => {
    const chunks = chunkMessage(`${'x '.repeat(40)}\n\n\`\`\`\nprint(1)`, 50);
    expect(chunks.at(-1)!.endsWith('```\nprint(1)\n```')).toBe(true);
  });

  it('hard-splits an unbroken run without cutting a surrogate pair', () => {
    const text = '😀'.repeat(30);
    const chunks = chunkMessage(text, 25);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(25);
    expect(chunks.join('')).toBe(text);
    expect(chunks.every((c) => !/[\ud800-\udbff]$/.test(c))).toBe(true);
  });
});
