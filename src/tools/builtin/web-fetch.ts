/**
 * web_fetch: the model reads a web page. Risk `external` (it reaches outside the household, and
 * what it reads may try to instruct the model), so by default the owner may use it, members
 * after approval, guests not at all. Only http(s), only public addresses unless allow-listed
 * (see web/address-guard.ts), within the owner's domain lists, with size and time limits.
 */
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../tool.ts';
import { addressGuard, parseAddressList } from './web/address-guard.ts';
import { parseDomainList } from './web/domains.ts';
import { fetchPage } from './web/fetch-page.ts';

export interface WebFetchSettings {
  timeoutMs: number;
  maxBytes: number;
  maxChars: number;
  allowAddresses?: string;
  allowDomains?: string;
  denyDomains?: string;
}

const MAX_REDIRECTS = 5;
const TEXT_TYPES = /^(text\/|application\/(json|xml|[\w.+-]+\+(json|xml))|application\/javascript)/i;

export function webFetchTool(settings: WebFetchSettings): ToolDefinition {
  const guard = addressGuard(parseAddressList(settings.allowAddresses));
  const domains = { allow: parseDomainList(settings.allowDomains), deny: parseDomainList(settings.denyDomains) };
  return defineTool({
    name: 'web_fetch',
    description: 'Fetch a web page (http/https) and return its readable text.',
    risk: 'external',
    group: 'builtin',
    parameters: z.object({ url: z.string().max(2000).describe('the full URL, e.g. https://example.org/page') }),
    async run({ url }, context) {
      // The HTML reader (htmlparser2 and friends) loads with the first page, not with Hearth.
      const { decodeBody, htmlToReadableText } = await import('./web/readable.ts');
      const page = await fetchPage(url, { guard, domains, limits: { timeoutMs: settings.timeoutMs, maxBytes: settings.maxBytes, maxRedirects: MAX_REDIRECTS }, signal: context.signal, userAgent: 'Hearth (web_fetch)' });
      const type = page.contentType.split(';')[0]!.trim().toLowerCase();
      const head = [`URL: ${page.url}`, page.status >= 400 ? `HTTP status: ${page.status}` : undefined];
      // A page without a content type is read when it looks like text (no NUL bytes near the start).
      const untyped = !type && !page.body.subarray(0, 1024).includes(0);
      let text: string;
      if (type === 'text/html' || type === 'application/xhtml+xml' || (untyped && /^\s*</.test(page.body.subarray(0, 100).toString()))) {
        const readable = htmlToReadableText(decodeBody(page.body, page.contentType));
        head.push(readable.title ? `Title: ${readable.title}` : undefined);
        text = readable.text;
      } else if (TEXT_TYPES.test(type) || untyped) {
        text = decodeBody(page.body, page.contentType);
      } else {
        return [...head, `The page is ${type || 'of an unknown type'} (${page.body.length}${page.truncated ? '+' : ''} bytes), not text; it cannot be read here.`].filter(Boolean).join('\n');
      }
      const cut = text.length > settings.maxChars;
      const shown = cut ? text.slice(0, settings.maxChars) : text;
      const note = cut || page.truncated ? `\n[cut: only the first ${shown.length} characters of the page are shown]` : '';
      return `${head.filter(Boolean).join('\n')}\n\n${shown || '(the page has no readable text)'}${note}`;
    },
  });
}
