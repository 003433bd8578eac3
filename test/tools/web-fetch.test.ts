/**
 * web_fetch as the model uses it, through scripted model turns: addresses on the local network,
 * this machine and the cloud metadata service are refused (also when a redirect points there, and
 * when a name resolves there), every call is audited; an address the owner allow-lists is read,
 * and the model gets the page's readable text, not its navigation or scripts. Limits (size, time,
 * domain lists) are checked on the tool itself.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { scaled } from '../helpers/time-scale.ts';
import { owner, ownerDm } from '../access/helpers.ts';
import { webFetchTool } from '../../src/tools/builtin/web-fetch.ts';
import type { ToolContext } from '../../src/tools/tool.ts';

const PAGE = `<!doctype html><html><head><title>Allotment news</title><script>window.secret = 1</script><style>p{}</style></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<main><h1>Spring planting</h1><p>Plant the <b>potatoes</b> in April.</p><ul><li>Earlies first</li><li>Maincrop later</li></ul>
<p>See the <a href="https://example.org/calendar">calendar</a>.</p></main><footer>© allotment society</footer></body></html>`;

let site: Server;
let base: string;
let slowResponses: Array<() => void> = [];

beforeAll(async () => {
  site = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path === '/page') return void response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    if (path === '/gzipped') return void response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipSync('compressed hello'));
    if (path === '/big') return void response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(50_000));
    if (path === '/image') return void response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(100));
    if (path === '/slow') return void slowResponses.push(() => response.end('late'));
    if (path === '/loop') return void response.writeHead(302, { location: '/loop' }).end();
    if (path.startsWith('/to/')) return void response.writeHead(302, { location: decodeURIComponent(path.slice(4)) }).end();
    response.writeHead(404).end('no such page');
  });
  await new Promise<void>((ready) => site.listen(0, '127.0.0.1', ready));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const finish of slowResponses) finish();
  site.closeAllConnections();
  await new Promise((closed) => site.close(closed));
});

describe('web_fetch in a model turn', { timeout: scaled(40_000) }, () => {
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  const start = async (webFetch: Record<string, unknown> = {}) => {
    ollama = await startFakeOllama();
    adapter = createTestAdapter();
    hearth = await startHearth({ adapters: [adapter], ollama, owner: 'test:owner-1', config: { webFetch } });
    return hearth;
  };
  const fetchAll = async (urls: string[]) => {
    ollama.reply({ toolCalls: urls.map((url) => ({ name: 'web_fetch', arguments: { url } })) }, 'Here is what I found.');
    await adapter.inject({ conversation: ownerDm, sender: owner, text: 'read these pages for me' });
    await hearth!.idle();
    const results = ollama.chatRequests.at(-1)!.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(results).toHaveLength(urls.length);
    return results;
  };
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await ollama.close();
  });

  it('refuses this machine, the local network and the metadata service, also by name, and audits each refusal', async () => {
    const h = await start();
    const port = new URL(base).port;
    const results = await fetchAll([`${base}/page`, 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', `http://localhost:${port}/page`, `http://[::ffff:127.0.0.1]:${port}/page`, 'file:///etc/passwd']);
    expect(results[0]).toMatch(/failed: 127\.0\.0\.1 is an address on a loopback \(this machine\) network.*HEARTH_WEB_FETCH_ALLOW_ADDRESSES/);
    expect(results[1]).toMatch(/failed: 10\.0\.0\.1 is an address on a private network/);
    expect(results[2]).toMatch(/failed: 169\.254\.169\.254 is an address on a link-local \(includes cloud metadata services\) network/);
    expect(results[3]).toMatch(/failed: localhost is at (127\.0\.0\.1|::1), an address on a loopback/); // refused after DNS resolution
    expect(results[4]).toMatch(/failed: .*loopback/);
    expect(results[5]).toMatch(/failed: only http and https URLs can be fetched, not file/);
    expect(results.join('\n')).not.toContain('potatoes');
    expect(adapter.sent.at(-1)!.text).toBe('Here is what I found.');

    const calls = (await h.audit()).filter((a) => a.subject === 'web_fetch');
    expect(calls).toHaveLength(6);
    for (const call of calls) expect(call).toMatchObject({ kind: 'tool.called', detail: { outcome: 'error', decision: 'allowed' } });
    expect(calls[2]!.detail).toMatchObject({ arguments: { url: 'http://169.254.169.254/latest/meta-data/' }, error: expect.stringContaining('link-local') });
  });

  it('reads an allow-listed address as text, and still refuses redirects to the local network and metadata service', async () => {
    const h = await start({ allowAddresses: '127.0.0.1' });
    const [page, toPrivate, toMetadata, toLocalhost, loop] = await fetchAll([
      `${base}/page`,
      `${base}/to/${encodeURIComponent('http://10.1.2.3/admin')}`,
      `${base}/to/${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`,
      `${base}/to/${encodeURIComponent('http://[::1]:1/')}`,
      `${base}/loop`,
    ]);
    expect(page).toContain(`URL: ${base}/page`);
    expect(page).toContain('Title: Allotment news');
    expect(page).toMatch(/Spring planting\n+Plant the potatoes in April\./);
    expect(page).toMatch(/\* Earlies first\n \* Maincrop later/);
    expect(page).toContain('calendar (https://example.org/calendar)');
    for (const left of ['window.secret', 'Home', 'About', 'allotment society']) expect(page).not.toContain(left);
    expect(toPrivate).toMatch(/failed: 10\.1\.2\.3 is an address on a private network/);
    expect(toMetadata).toMatch(/failed: 169\.254\.169\.254 is an address on a link-local/);
    expect(toLocalhost).toMatch(/failed: ::1 is an address on a loopback/);
    expect(loop).toMatch(/redirects more than 5 times/);
    const outcomes = (await h.audit()).filter((a) => a.subject === 'web_fetch').map((a) => (a.detail as { outcome: string }).outcome);
    expect(outcomes).toEqual(['ok', 'error', 'error', 'error', 'error']);
  });

  it('is left out of the prompt when the owner turns it off', async () => {
    await start({ enabled: false });
    ollama.reply('No tools needed.');
    await adapter.inject({ conversation: ownerDm, sender: owner, text: 'hello' });
    await hearth!.idle();
    expect(ollama.chatRequests.at(-1)!.tools!.map((t) => t.function.name)).not.toContain('web_fetch');
  });
});

describe('web_fetch limits', { timeout: scaled(10_000) }, () => {
  const context = (signal = new AbortController().signal) => ({ signal }) as unknown as ToolContext;
  const tool = (settings: Record<string, unknown> = {}) => webFetchTool({ timeoutMs: 5_000, maxBytes: 100_000, maxChars: 6_000, allowAddresses: '127.0.0.0/8', ...settings });

  it('cuts long pages with a note, reads compressed text, and describes what is not text', async () => {
    const long = await tool({ maxChars: 1_000 }).run({ url: `${base}/big` }, context());
    expect(long).toContain(`${'x'.repeat(1_000)}\n[cut: only the first 1000 characters of the page are shown]`);
    const capped = await tool({ maxBytes: 2_000 }).run({ url: `${base}/big` }, context());
    expect(capped).toMatch(/x{2000}\n\[cut/);
    expect(await tool().run({ url: `${base}/gzipped` }, context())).toContain('compressed hello');
    expect(await tool().run({ url: `${base}/image` }, context())).toContain('The page is image/png (100 bytes), not text');
    expect(await tool().run({ url: `${base}/missing` }, context())).toMatch(/HTTP status: 404[\s\S]*no such page/);
  });

  it('gives up on a page that does not arrive in time', async () => {
    await expect(tool({ timeoutMs: 300 }).run({ url: `${base}/slow` }, context())).rejects.toThrow(/did not answer in time|did not arrive in time/);
  });

  it('keeps to the owner\'s domain lists, also across redirects', async () => {
    const onlyExample = tool({ allowDomains: 'example.org' });
    await expect(onlyExample.run({ url: `${base}/page` }, context())).rejects.toThrow("127.0.0.1 is not on the owner's list of domains web_fetch may reach");
    const denyLocal = tool({ denyDomains: 'localtest.invalid' });
    await expect(denyLocal.run({ url: `${base}/to/${encodeURIComponent('http://www.localtest.invalid/')}` }, context())).rejects.toThrow("www.localtest.invalid is on the owner's deny list (localtest.invalid)");
  });

  it('names a bad allow-list entry', () => {
    expect(() => tool({ allowAddresses: '10.0.0.0/8, router' })).toThrow('"router" is not an IP address or CIDR range');
  });
});
