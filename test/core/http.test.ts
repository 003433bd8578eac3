import { afterEach, describe, expect, it } from 'vitest';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';

describe('HTTP surface', () => {
  let hearth: Hearth | undefined;
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
  });

  it('reports health, readiness and metrics', async () => {
    const adapter = createTestAdapter();
    hearth = await startHearth({ adapters: [adapter], owner: 'test:owner-1' });
    hearth.ollama.reply('pong');
    await adapter.inject({ text: 'ping' });
    await hearth.idle();

    expect(await (await hearth.request('/healthz')).json()).toEqual({ ok: true });
    const ready = await hearth.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, database: { ok: true }, adapters: [{ platform: 'test', ok: true }] });

    const metrics = await (await hearth.request('/metrics')).text();
    expect(metrics).toMatch(/hearth_messages_in_total\{platform="test",outcome="done"\} 1/);
    expect(metrics).toMatch(/hearth_messages_out_total\{platform="test",kind="reply"\} 1/);
    expect(metrics).toMatch(/hearth_agent_latency_seconds_count\{platform="test"\} 1/);
  });

  it('is not ready while a platform is down', async () => {
    const adapter = createTestAdapter();
    adapter.health = () => ({ ok: false, detail: 'gateway disconnected' });
    hearth = await startHearth({ adapters: [adapter] });
    const ready = await hearth.request('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, adapters: [{ ok: false, detail: 'gateway disconnected' }] });
  });

  it('keeps running other platforms when one fails to start, and says why', async () => {
    const { PlatformConfigError } = await import('../../src/core/index.ts');
    const broken = createTestAdapter('broken');
    broken.start = async () => {
      throw new PlatformConfigError('broken', 'the token was rejected', 'create a new token');
    };
    const working = createTestAdapter();
    hearth = await startHearth({ adapters: [broken, working], owner: 'test:owner-1' });
    await working.inject({ text: 'still there?' });
    await hearth.idle();
    expect(working.sent).toHaveLength(1);
    expect(await (await hearth.request('/readyz')).json()).toMatchObject({ adapters: [{ platform: 'broken', ok: false, detail: expect.stringContaining('Fix: create a new token') }, { ok: true }] });
  });
});
