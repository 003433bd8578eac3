/**
 * Markdown (CommonMark subset) → Discord markdown. Discord already speaks most of it (bold,
 * italics, strikethrough, code, fences, quotes, lists, #/##/### headings, masked links); this
 * only rewrites what Discord shows differently or not at all
 * (https://support.discord.com/hc/en-us/articles/210298617-Markdown-Text-101):
 * `__x__` (bold in CommonMark, underline in Discord), deeper headings, setext headings,
 * horizontal rules, images and tables. Fenced code and inline code are left untouched.
 */

const FENCE = /^\s*(`{3,}|~{3,})/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

export function renderDiscord(markdown: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = FENCE.exec(line)?.[1];
    if (fence) {
      out.push(line);
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      out.push(line);
      continue;
    }
    if (line.includes('|') && TABLE_SEPARATOR.test(lines[i + 1] ?? '') && (lines[i + 1] ?? '').includes('-')) {
      // Discord has no tables; a code block keeps the columns lined up.
      const table = [line];
      let j = i + 1;
      while (j < lines.length && lines[j]!.includes('|') && lines[j]!.trim() !== '') table.push(lines[j++]!);
      out.push('```', ...table, '```');
      i = j - 1;
      continue;
    }
    const next = lines[i + 1];
    if (line.trim() && next !== undefined && /^\s{0,3}(=+|-+)\s*$/.test(next) && !RULE.test(line) && !/^\s*([-*+]|\d+[.)])\s/.test(line)) {
      out.push(`${next.trim().startsWith('=') ? '#' : '##'} ${inline(line.trim())}`);
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      out.push('───────────');
      continue;
    }
    const heading = /^\s{0,3}(#{4,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      out.push(`**${inline(heading[2]!)}**`);
      continue;
    }
    out.push(inline(line));
  }
  return out.join('\n');
}

/** Rewrites inline markup outside `code spans`. */
function inline(line: string): string {
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, index) => (index % 2 === 1 ? part : prose(part)))
    .join('');
}

function prose(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (_, alt: string, url: string) => (alt ? `[${alt}](${url})` : url))
    .replace(/(^|[^\w_])__(?=\S)(.+?)(?<=\S)__(?![\w_])/g, '$1**$2**')
    .replace(/<br\s*\/?>/gi, '\n');
}
