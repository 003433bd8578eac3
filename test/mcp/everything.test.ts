/**
 * Real MCP servers from npm, end to end through a scripted model turn: the reference
 * server-everything over stdio and over Streamable HTTP — its tools offered to the model with
 * their own JSON Schema, a call's text coming back to the model, bad arguments stopped before
 * the server, a call that hangs cancelled at the server's timeout, and a server's changed tool
 * list re-read (the test's own server adds a tool on request). An HTTP server that is not up yet
 * is dialled again until it is.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/eventually.ts';
import { EVERYTHING, fixture, mcpScenario, freePort, offered, startEverythingHttp, startWithServers, toolResults } from './helpers.ts';

const ownerDm = { id: 'dm-owner', kind: 'direct' as const };
const owner = { accountId: 'owner-1', displayName: 'Olive' };

// Each test starts Hearth and real servers: slow on a loaded 2-core box, so a generous bound.
describe('tools from MCP servers', { timeout: 240_000 }, () => {
  const scene = mcpScenario();

  const ask = async (text: string) => {
    await scene.adapter.inject({ conversation: ownerDm, sender: owner, text });
    await scene.hearth!.idle();
    return scene.adapter.sent.at(-1)?.text;
  };

  it('calls server-everything over stdio: schema to the model, text back, bad arguments and hangs stopped, list changes re-read', async () => {
    const h = (scene.hearth = await startWithServers({ everything: { command: 'node', args: [EVERYTHING, 'stdio'], sandbox: false, timeoutMs: 1_500 } }, { adapters: [scene.adapter], ollama: scene.ollama }));
    // server-everything adds tools once a client has initialized, and announces it (list_changed).
    await until(() => h.logs.some((line) => line.includes('"server":"everything"') && line.includes('list re-read')), 'the announced tool list to be re-read', 30_000);

    scene.ollama.reply({ toolCalls: [{ name: 'everything_echo', arguments: { message: 'hello from Olive' } }] }, 'It echoed.');
    expect(await ask('echo something')).toBe('It echoed.');
    const echo = scene.ollama.chatRequests[0]!.tools!.find((t) => t.function.name === 'everything_echo') as unknown as { function: { description: string; parameters: unknown } };
    expect(echo.function.parameters).toEqual({ type: 'object', properties: { message: { type: 'string', description: 'Message to echo' } }, required: ['message'] });
    expect(offered(scene.ollama)).not.toContain('everything_simulate-research-query'); // task-only: left out
    expect(toolResults(scene.ollama).at(-1)).toBe('Echo: hello from Olive');

    // Arguments that do not fit the server's schema never reach it.
    scene.ollama.reply({ toolCalls: [{ name: 'everything_get-sum', arguments: { a: 'two', b: 3 } }] }, 'That did not work.');
    await ask('add two and three');
    expect(toolResults(scene.ollama).at(-1)).toMatch(/^Invalid arguments for everything_get-sum: .*a.*must be number/);

    // A long operation is cancelled at the server's timeout; the server stays usable.
    scene.ollama.reply({ toolCalls: [{ name: 'everything_trigger-long-running-operation', arguments: { duration: 60, steps: 60 } }] }, 'It took too long.');
    expect(await ask('run the long thing')).toBe('It took too long.');
    expect(toolResults(scene.ollama).at(-1)).toMatch(/trigger-long-running-operation on the everything server did not finish within 1.5 s and was cancelled/);
    scene.ollama.reply({ toolCalls: [{ name: 'everything_get-sum', arguments: { a: 2, b: 3 } }] }, 'Five.');
    await ask('add two and three');
    expect(toolResults(scene.ollama).at(-1)).toMatch(/5/);

    const calls = (await h.audit()).filter((a) => a.kind === 'tool.called' || a.kind === 'tool.invalid');
    expect(calls.map((a) => [a.kind, a.subject, (a.detail as { outcome?: string }).outcome])).toEqual([
      ['tool.called', 'everything_echo', 'ok'],
      ['tool.invalid', 'everything_get-sum', undefined],
      ['tool.called', 'everything_trigger-long-running-operation', 'error'],
      ['tool.called', 'everything_get-sum', 'ok'],
    ]);
    expect(calls[0]!.detail).toMatchObject({ arguments: { message: 'hello from Olive' }, decision: 'allowed', decidedBy: 'role', durationMs: expect.any(Number) });
  });

  it('calls server-everything over Streamable HTTP', async () => {
    const server = await startEverythingHttp();
    scene.cleanups.push(server.stop);
    scene.hearth = await startWithServers({ remote: { url: server.url, risk: 'read' } }, { adapters: [scene.adapter], ollama: scene.ollama });

    scene.ollama.reply({ toolCalls: [{ name: 'remote_get-sum', arguments: { a: 19, b: 23 } }] }, 'Forty-two.');
    expect(await ask('what is 19 + 23?')).toBe('Forty-two.');
    expect(offered(scene.ollama)).toContain('remote_echo');
    expect(toolResults(scene.ollama).at(-1)).toMatch(/42/);
  });

  it('offers a tool the server adds while running (list_changed), at the next turn', async () => {
    scene.hearth = await startWithServers({ changing: { command: 'node', args: [fixture('changing-server')], sandbox: false } }, { adapters: [scene.adapter], ollama: scene.ollama });
    await ask('hello');
    expect(offered(scene.ollama)).not.toContain('changing_weather');

    scene.ollama.reply({ toolCalls: [{ name: 'changing_add_tool', arguments: { name: 'weather' } }] }, 'Added.');
    await ask('add a weather tool');
    await until(() => scene.hearth!.hearth.gateway.catalog.get('changing_weather'), 'the new tool in the catalogue', 30_000);
    scene.ollama.reply({ toolCalls: [{ name: 'changing_weather', arguments: {} }] }, 'Sunny.');
    expect(await ask('how is the weather?')).toBe('Sunny.');
    expect(scene.ollama.chatRequests.at(-2)!.tools!.map((t) => t.function.name)).toContain('changing_weather');
    expect(toolResults(scene.ollama).at(-1)).toBe('this is weather');
  });

  it('keeps dialling an HTTP server that is not up yet, offers its tools once it is, and notices when it goes', async () => {
    const port = await freePort();
    const h = (scene.hearth = await startWithServers({ late: { url: `http://127.0.0.1:${port}/mcp` } }, { adapters: [scene.adapter], ollama: scene.ollama }));
    const status = () => h.hearth.gateway.catalog.status().find((s) => s.source === 'mcp:late')!;
    expect(status().state).toBe('restarting');
    expect(status().detail).toMatch(/could not start: .*next try in \d+ s/);
    await ask('hello');
    expect(offered(scene.ollama).some((name) => name.startsWith('late_'))).toBe(false);
    expect(h.logs.some((line) => line.includes('MCP server late: could not start'))).toBe(true);

    // Now the server comes up on that port.
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: 'ignore' });
    scene.cleanups.push(async () => void child.kill('SIGKILL'));
    await until(() => status().state === 'running', 'the server to be reached', 60_000);
    await ask('hello again');
    expect(offered(scene.ollama)).toContain('late_echo');

    // It goes away again: noticed without waiting for a call, and its tools are withdrawn.
    child.kill('SIGKILL');
    await until(() => status().state === 'restarting', 'the lost server to be noticed', 60_000);
    expect(h.hearth.gateway.catalog.get('late_echo')).toBeUndefined();
    expect(h.logs.some((line) => line.includes('MCP server late went away: it stopped answering'))).toBe(true);
  });
});
