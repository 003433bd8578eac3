/**
 * `hearth admin link`, run as a separate process the way a person types it, beside a running
 * Hearth on the embedded database (so it goes through the admin API): the link it prints signs
 * in once, then is refused.
 */
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serve } from '@hono/node-server';
import { createTestDatabase } from '../helpers/databases.ts';
import { startHearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { runHearth } from '../helpers/run-hearth.ts';
import { startFakeOllama } from '../fakes/ollama.ts';
import { OWNER } from '../access/helpers.ts';

describe('hearth admin link', () => {
  it('prints a link to the running Hearth that signs in once', async () => {
    const database = await createTestDatabase('pglite');
    const ollama = await startFakeOllama();
    const token = 'link-admin-token-0123456789abcdef';
    const h = await startHearth({ adapters: [createTestAdapter()], owner: OWNER, driver: 'pglite', dataDir: database.dataDir, ollama, config: { access: { adminToken: token } } });
    const server = serve({ fetch: h.hearth.http.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const port = String((server.address() as AddressInfo).port);
    try {
      const run = await runHearth(['admin', 'link'], { HEARTH_DATA_DIR: database.dataDir, HEARTH_HTTP_PORT: port, HEARTH_ADMIN_TOKEN: token });
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/works once, for 15 minutes/);
      const url = /(http:\/\/127\.0\.0\.1:\d+\/login\/link\?token=\S+)/.exec(run.stdout)?.[1];
      expect(url).toBeDefined();
      expect(new URL(url!).port).toBe(port);

      const first = await fetch(url!, { redirect: 'manual' });
      expect(first.status).toBe(303);
      const session = first.headers.getSetCookie().find((c) => c.startsWith('hearth_session='));
      expect(session).toMatch(/HttpOnly/i);
      expect(session).toMatch(/SameSite=Strict/i);
      const status = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual', headers: { cookie: session!.split(';')[0]! } });
      expect(status.status).toBe(200);
      expect(await status.text()).toContain('<h1>Status</h1>');

      expect((await fetch(url!, { redirect: 'manual' })).status).toBe(403);
      const audit = await h.audit();
      expect(audit.filter((a) => a.kind === 'web.login')).toHaveLength(1);
      expect(audit.filter((a) => a.kind === 'web.login_failed')).toHaveLength(1);
      expect(JSON.stringify(audit)).not.toContain(new URL(url!).searchParams.get('token')!);
    } finally {
      server.close();
      await h.stop();
      await ollama.close();
      await database.drop();
    }
  });
});
