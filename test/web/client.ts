/**
 * A minimal browser for in-process web admin tests (Hono's app.request, no socket): keeps the
 * cookies the server sets, reads the CSRF field out of pages, and never follows redirects, so a
 * test sees each 303 itself. The Chromium tests (admin.browser.test.ts) cover the real browser.
 */
import type { Hearth } from '../helpers/harness.ts';

export interface WebClient {
  get(path: string): Promise<Response>;
  /** A form post; `_csrf` is taken from the last page read unless given (or set to null: none). */
  post(path: string, fields: Record<string, string>, csrf?: string | null): Promise<Response>;
  signIn(token: string): Promise<Response>;
  cookies: Map<string, string>;
}

export function webClient(hearth: Hearth): WebClient {
  const cookies = new Map<string, string>();
  let lastCsrf: string | undefined;
  const send = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await hearth.request(path, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (attributes.some((a) => /max-age=0\b/i.test(a.trim())) || value === '') cookies.delete(name.trim());
      else cookies.set(name.trim(), value.trim());
    }
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('html')) {
      const text = await response.clone().text();
      lastCsrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? lastCsrf;
    }
    return response;
  };
  const client: WebClient = {
    cookies,
    get: (path) => send(path),
    post: (path, fields, csrf) => {
      const body = new URLSearchParams(fields);
      const token = csrf === undefined ? lastCsrf : csrf;
      if (token) body.set('_csrf', token);
      return send(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    },
    async signIn(token) {
      await send('/login');
      return client.post('/login', { token });
    },
  };
  return client;
}
