/**
 * Splits a markdown reply into messages that fit a platform's limit. Prefers paragraph, then
 * line, then sentence, then word boundaries; a fenced code block is never cut in the middle of
 * a line, and when a block is longer than the limit each piece is re-fenced so every message
 * renders on its own.
 */

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

interface Block {
  text: string;
  /** Opening fence line (e.g. "```ts") when the block is a fenced code block. */
  fence?: { open: string; close: string };
}

export function chunkMessage(text: string, limit: number): string[] {
  if (limit < 16) throw new RangeError(`chunk limit ${limit} is too small to split sensibly`);
  const trimmed = text.trim();
  if (trimmed.length <= limit) return trimmed ? [trimmed] : [];
  const pieces = splitBlocks(trimmed).flatMap((block) => splitBlock(block, limit));
  return pack(pieces, limit);
}

/** Paragraphs (separated by blank lines) and fenced code blocks, in order. */
function splitBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let paragraph: string[] = [];
  const flushParagraph = () => {
    if (paragraph.some((line) => line.trim())) blocks.push({ text: paragraph.join('\n') });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = FENCE.exec(line);
    if (open) {
      flushParagraph();
      const marker = open[2]!;
      const body = [line];
      let j = i + 1;
      for (; j < lines.length; j++) {
        body.push(lines[j]!);
        if (lines[j]!.trim().startsWith(marker) && lines[j]!.trim().replace(/[`~]/g, '') === '') break;
      }
      const closed = j < lines.length;
      if (!closed) body.push(`${open[1]}${marker}`); // an unclosed fence would swallow every later message
      blocks.push({ text: body.join('\n'), fence: { open: line, close: `${open[1]}${marker}` } });
      i = j;
    } else if (line.trim() === '') {
      flushParagraph();
    } else {
      paragraph.push(line);
    }
  }
  flushParagraph();
  return blocks;
}

function splitBlock(block: Block, limit: number): string[] {
  if (block.text.length <= limit) return [block.text];
  if (block.fence) return splitCode(block.text, block.fence, limit);
  return splitProse(block.text, limit);
}

function splitCode(text: string, fence: { open: string; close: string }, limit: number): string[] {
  const inner = text.split('\n').slice(1, -1);
  const overhead = fence.open.length + fence.close.length + 2;
  const room = limit - overhead;
  const lines = inner.flatMap((line) => (line.length <= room ? [line] : hardSplit(line, room)));
  return packLines(lines, room).map((body) => `${fence.open}\n${body}\n${fence.close}`);
}

function splitProse(text: string, limit: number): string[] {
  const lines = text.split('\n');
  if (lines.length > 1) return packLines(lines.flatMap((line) => splitProse(line, limit)), limit);
  const sentences = text.split(/(?<=[.!?…])\s+/);
  if (sentences.length > 1) return pack(sentences.flatMap((s) => splitProse(s, limit)), limit, ' ');
  const words = text.split(/\s+/);
  if (words.length > 1) return pack(words.flatMap((w) => (w.length <= limit ? [w] : hardSplit(w, limit))), limit, ' ');
  return hardSplit(text, limit);
}

/** Last resort for a single unbroken run; avoids cutting a surrogate pair in half. */
function hardSplit(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = limit;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) parts.push(rest);
  return parts;
}

function packLines(lines: string[], limit: number): string[] {
  return pack(lines, limit, '\n');
}

/** Greedily joins pieces (each already within the limit) into as few messages as possible. */
function pack(pieces: string[], limit: number, separator = '\n\n'): string[] {
  const out: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (!current) current = piece;
    else if (current.length + separator.length + piece.length <= limit) current += separator + piece;
    else {
      out.push(current);
      current = piece;
    }
  }
  if (current) out.push(current);
  return out;
}
