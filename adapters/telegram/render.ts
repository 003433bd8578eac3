/**
 * Markdown → Telegram HTML. Telegram's HTML mode knows a handful of tags and rejects the whole
 * message on anything else ("can't parse entities"), so instead of marked's HTML renderer (which
 * emits <p>, <ul>, <h1>…) we walk marked's tokens and emit only what Telegram allows:
 * b, i, s, u, code, pre, a, blockquote, tg-spoiler (https://core.telegram.org/bots/api#html-style).
 * Everything else becomes plain text, and every <, > and & in text is escaped, including raw HTML
 * a model may write: it is shown literally rather than trusted.
 */
import { Lexer, type Token, type Tokens } from 'marked';
import { chunkMessage } from '../../src/core/index.ts';

export function renderTelegramHtml(markdown: string): string {
  const tokens = new Lexer({ gfm: true, breaks: false }).lex(markdown);
  return blocks(tokens, 0).trim();
}

/**
 * Markdown pieces whose rendering fits Telegram's limit. The outbox already chunks the markdown;
 * rendering rarely adds characters (list indentation), but when it does, re-chunk a little
 * tighter rather than have Telegram refuse the message as too long.
 */
export function splitForTelegram(markdown: string, limit: number): string[] {
  const fits = (piece: string) => visibleText(renderTelegramHtml(piece)).length <= limit;
  if (fits(markdown)) return [markdown];
  for (let budget = limit; budget >= 256; budget = Math.floor(budget * 0.85)) {
    const pieces = chunkMessage(markdown, budget);
    if (pieces.every(fits)) return pieces;
  }
  return chunkMessage(markdown, 256);
}

/** The text Telegram shows for an HTML message: what its 4096 limit counts (UTF-16 units). */
export function visibleText(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''));
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeHtml(text).replace(/"/g, '&quot;');
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Markdown source may carry HTML entities (`&amp;`); CommonMark shows them decoded. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[body.toLowerCase()] ?? whole;
  });
}

function blocks(tokens: Token[], quoteDepth: number): string {
  const out: string[] = [];
  for (const token of tokens) {
    const rendered = block(token as Tokens.Generic, quoteDepth);
    if (rendered !== '') out.push(rendered);
  }
  return out.join('\n\n');
}

function block(token: Tokens.Generic, quoteDepth: number): string {
  switch (token.type) {
    case 'space':
    case 'def':
      return '';
    case 'paragraph':
    case 'text':
      return token.tokens ? inline(token.tokens) : escapeHtml(decodeEntities(token.text as string));
    case 'heading':
      return `<b>${inline(token.tokens ?? [])}</b>`;
    case 'code':
      return codeBlock(token as Tokens.Code);
    case 'blockquote': {
      // Telegram does not nest blockquotes; an inner quote keeps its text without the tag.
      const inner = blocks(token.tokens ?? [], quoteDepth + 1);
      return quoteDepth === 0 ? `<blockquote>${inner}</blockquote>` : inner;
    }
    case 'list':
      return list(token as Tokens.List, quoteDepth);
    case 'hr':
      return '———';
    case 'table':
      return table(token as Tokens.Table);
    case 'html':
      return htmlAsText(token.text as string);
    default:
      return token.tokens ? inline(token.tokens) : escapeHtml(String(token.raw ?? ''));
  }
}

function codeBlock(token: Tokens.Code): string {
  const body = escapeHtml(token.text);
  const language = (token.lang ?? '').trim().split(/\s+/)[0] ?? '';
  return /^[\w#+.-]{1,32}$/.test(language)
    ? `<pre><code class="language-${language}">${body}</code></pre>`
    : `<pre>${body}</pre>`;
}

function list(token: Tokens.List, quoteDepth: number): string {
  const start = typeof token.start === 'number' ? token.start : 1;
  return token.items
    .map((item, index) => {
      const marker = item.task ? (item.checked ? '☑' : '☐') : token.ordered ? `${start + index}.` : '•';
      const body = blocks(item.tokens.filter((t) => t.type !== 'checkbox'), quoteDepth)
        .replace(/\n\n+/g, '\n')
        .replace(/\n/g, '\n  ');
      return `${marker} ${body}`;
    })
    .join('\n');
}

/** Telegram has no tables: a monospace block keeps the columns readable. */
function table(token: Tokens.Table): string {
  const row = (cells: Tokens.TableCell[]) => cells.map((cell) => plain(cell.tokens)).join(' | ');
  const lines = [row(token.header), ...token.rows.map(row)];
  return `<pre>${escapeHtml(lines.join('\n'))}</pre>`;
}

/** Models write <br> for line breaks; any other raw HTML is shown as the characters it is. */
function htmlAsText(raw: string): string {
  if (/^<br\s*\/?>$/i.test(raw.trim())) return '\n';
  return escapeHtml(raw);
}

function inline(tokens: Token[]): string {
  return tokens.map((token) => inlineToken(token as Tokens.Generic)).join('');
}

function inlineToken(token: Tokens.Generic): string {
  switch (token.type) {
    case 'text':
      return token.tokens ? inline(token.tokens) : escapeHtml(decodeEntities(token.text as string));
    case 'escape':
      return escapeHtml(token.text as string);
    case 'strong':
      return `<b>${inline(token.tokens ?? [])}</b>`;
    case 'em':
      return `<i>${inline(token.tokens ?? [])}</i>`;
    case 'del':
      return `<s>${inline(token.tokens ?? [])}</s>`;
    case 'codespan':
      return `<code>${escapeHtml(token.text as string)}</code>`;
    case 'br':
      return '\n';
    case 'link':
      return link(token.href as string, inline(token.tokens ?? []));
    case 'image': {
      const label = escapeHtml((token.text as string) || (token.href as string));
      return link(token.href as string, label);
    }
    case 'html':
    case 'tag':
      return htmlAsText(token.text as string);
    default:
      return escapeHtml(String(token.raw ?? ''));
  }
}

/** Telegram accepts only these schemes in <a href>; anything else would be rejected or unsafe. */
function link(href: string, label: string): string {
  if (!/^(https?:|mailto:|tg:)/i.test(href)) return label;
  return `<a href="${escapeAttribute(href)}">${label || escapeHtml(href)}</a>`;
}

/** Inline tokens flattened to unformatted text (for table cells). */
function plain(tokens: Token[]): string {
  return tokens
    .map((token) => {
      const t = token as Tokens.Generic;
      if (t.tokens) return plain(t.tokens);
      if (t.type === 'text') return decodeEntities(t.text as string);
      return String(t.text ?? t.raw ?? '');
    })
    .join('');
}
