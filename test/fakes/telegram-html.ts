/**
 * Telegram's HTML parse_mode as the Bot API applies it (https://core.telegram.org/bots/api#html-style):
 * only a few tags, properly nested; only &lt; &gt; &amp; &quot; and numeric entities are decoded
 * (an '&' that starts none of them stays literal). Anything else fails the whole message with
 * "Bad Request: can't parse entities: …", which is what the stand-in answers.
 */

const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);

export type ParsedHtml = { ok: true; text: string } | { ok: false; error: string };

export function parseTelegramHtml(html: string): ParsedHtml {
  const stack: string[] = [];
  let text = '';
  let i = 0;
  const byteOffset = (index: number) => Buffer.byteLength(html.slice(0, index));
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === '&') {
      const match = /^&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot);/.exec(html.slice(i));
      if (match) {
        const body = match[1]!;
        if (body.startsWith('#x')) text += String.fromCodePoint(parseInt(body.slice(2), 16));
        else if (body.startsWith('#')) text += String.fromCodePoint(parseInt(body.slice(1), 10));
        else text += { lt: '<', gt: '>', amp: '&', quot: '"' }[body as 'lt'];
        i += match[0].length;
      } else {
        text += '&';
        i += 1;
      }
      continue;
    }
    if (ch !== '<') {
      text += ch;
      i += 1;
      continue;
    }
    const close = html.indexOf('>', i);
    if (close === -1) return { ok: false, error: `Unclosed start tag at byte offset ${byteOffset(i)}` };
    const inside = html.slice(i + 1, close);
    if (inside.startsWith('/')) {
      const name = inside.slice(1).trim().toLowerCase();
      const open = stack.pop();
      if (open === undefined) return { ok: false, error: `Unexpected end tag at byte offset ${byteOffset(i)}` };
      if (open !== name) return { ok: false, error: `Unmatched end tag at byte offset ${byteOffset(i)}, expected "</${open}>", found "</${name}>"` };
    } else {
      const name = (/^[a-zA-Z][a-zA-Z0-9-]*/.exec(inside)?.[0] ?? '').toLowerCase();
      if (!TAGS.has(name)) return { ok: false, error: `Unsupported start tag "${name}" at byte offset ${byteOffset(i)}` };
      const attributes = inside.slice(name.length);
      if (name === 'span' && !/class\s*=\s*"tg-spoiler"/.test(attributes)) {
        return { ok: false, error: `Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(i)}` };
      }
      if (name === 'a' && /href/.test(attributes) && !/href\s*=\s*("[^"<]*"|'[^'<]*')/.test(attributes)) {
        return { ok: false, error: `Invalid href attribute at byte offset ${byteOffset(i)}` };
      }
      if (stack.includes('pre') && !(name === 'code' && stack[stack.length - 1] === 'pre') || stack.includes('code')) {
        return { ok: false, error: `Entities can't be nested inside pre or code at byte offset ${byteOffset(i)}` };
      }
      if (name === 'blockquote' && stack.includes('blockquote')) {
        return { ok: false, error: `Blockquote entities can't be nested at byte offset ${byteOffset(i)}` };
      }
      stack.push(name);
    }
    i = close + 1;
  }
  if (stack.length > 0) return { ok: false, error: `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  return { ok: true, text };
}
