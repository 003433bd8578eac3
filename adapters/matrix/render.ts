/**
 * Markdown → Matrix `m.room.message` content: the markdown source as the plain `body` (what
 * Element sends too) and HTML in `formatted_body` (format `org.matrix.custom.html`).
 *
 * The model's output is untrusted: raw HTML in it is shown as text, never interpreted; links
 * keep only safe schemes; images become links, because Matrix clients only load `mxc://` images.
 * https://spec.matrix.org/v1.13/client-server-api/#mroommessage-msgtypes
 */
import { Marked, type Tokens } from 'marked';
import type { Content } from './wire.ts';

export const HTML_FORMAT = 'org.matrix.custom.html';

const SAFE_LINK = /^(https?:|mailto:|matrix:)/i;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const markdown = new Marked({
  gfm: true,
  breaks: true, // chat: a single newline from the model is a line break, as people expect
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const inner = this.parser.parseInline(tokens);
      if (!SAFE_LINK.test(href)) return inner;
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(href)}"${titleAttr}>${inner}</a>`;
    },
    image({ href, text }: Tokens.Image): string {
      if (href.startsWith('mxc://')) return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}">`;
      if (!SAFE_LINK.test(href)) return escapeHtml(text);
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
    checkbox({ checked }: Tokens.Checkbox): string {
      return checked ? '☑ ' : '☐ '; // <input> is not in Matrix's allowed HTML
    },
  },
});

export function renderHtml(text: string): string {
  return (markdown.parse(text, { async: false }) as string).trim();
}

export interface MessageContent extends Content {
  msgtype: string;
  body: string;
  format?: string;
  formatted_body?: string;
}

export function messageContent(text: string, msgtype = 'm.text'): MessageContent {
  return { msgtype, body: text, format: HTML_FORMAT, formatted_body: renderHtml(text) };
}

export function plainContent(text: string, msgtype = 'm.text'): MessageContent {
  return { msgtype, body: text };
}

/**
 * An edit (`m.replace`): the new content in `m.new_content`, and a `* `-prefixed plain fallback
 * for clients without edit support. The fallback carries no HTML, which keeps an edited event
 * under the 64 KiB limit with a full message in it.
 * https://spec.matrix.org/v1.13/client-server-api/#event-replacements
 */
export function editContent(originalEventId: string, replacement: MessageContent): Content {
  return {
    msgtype: replacement.msgtype,
    body: `* ${replacement.body}`,
    'm.new_content': replacement,
    'm.relates_to': { rel_type: 'm.replace', event_id: originalEventId },
  };
}

/** Size of the content as it travels (UTF-8 JSON); the whole event must stay under 65,536 bytes. */
export function contentBytes(content: Content): number {
  return Buffer.byteLength(JSON.stringify(content), 'utf8');
}
