/**
 * A fetched page as text the model can read in few tokens. html-to-text (htmlparser2 underneath)
 * rather than Readability + a DOM: one small dependency, no DOM to build, and with the page's
 * main element chosen as the base and navigation, scripts, forms and images left out, what
 * remains of an ordinary article page is its text with headings, paragraphs, lists and links.
 */
import { convert } from 'html-to-text';

const SKIP = ['nav', 'header', 'footer', 'aside', 'form', 'script', 'style', 'noscript', 'svg', 'iframe', 'button', 'select', 'template'];

export function htmlToReadableText(html: string): { title?: string; text: string } {
  const text = convert(html, {
    wordwrap: false,
    baseElements: { selectors: ['article', 'main', '[role=main]', 'body'], returnDomByDefault: true },
    selectors: [
      ...SKIP.map((selector) => ({ selector, format: 'skip' })),
      { selector: 'img', format: 'skip' },
      // Links keep their address (the model may want to follow one) but not fragment or script links.
      { selector: 'a', options: { ignoreHref: false, noAnchorUrl: true, hideLinkHrefIfSameAsText: true, linkBrackets: ['(', ')'] } },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable' },
    ],
  });
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]?.replace(/\s+/g, ' ').trim();
  return { title: title ? convert(title, { wordwrap: false }) : undefined, text: text.replace(/\n{3,}/g, '\n\n').trim() };
}

/** The body as a string, in the charset the server declared (UTF-8 when it declared none). */
export function decodeBody(body: Buffer, contentType: string): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1] ?? /<meta[^>]+charset=["']?([\w-]+)/i.exec(body.subarray(0, 2048).toString('latin1'))?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}
