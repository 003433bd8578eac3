/**
 * The same hostile input as telegram-poison.test.ts on Discord, Matrix and `hearth chat`: text
 * PostgreSQL would refuse is cleaned and answered, a field of the wrong type or a malformed
 * event is set aside (recorded, counted), and the next message is answered either way.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordAdapter } from '../../adapters/discord/index.ts';
import { createConsoleAdapter } from '../../adapters/console/index.ts';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { eventually } from '../helpers/eventually.ts';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.ts';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { fakeHomeserver, matrixAdapter, OWNER } from '../fakes/matrix-fixture.ts';

let hearth: Hearth | undefined;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await hearth?.stop();
  hearth = undefined;
  await close?.();
  close = undefined;
});

async function setAside(h: Hearth, platform: string): Promise<number> {
  const metrics = await (await h.request('/metrics')).text();
  return Number(new RegExp(`hearth_poison_events_total\\{platform="${platform}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
}

describe('Discord: hostile input never holds back the next message', () => {
  it('answers NUL and lone-surrogate text cleaned, sets aside a number as content and a broken attachment, then answers the next', async () => {
    const fake: FakeDiscord = await startFakeDiscord();
    close = () => fake.close();
    const alice = fake.world.people.alice;
    const h = (hearth = await startHearth({ adapters: [createDiscordAdapter({ token: fake.token, apiBase: fake.apiBase })], owner: `discord:${alice.id}` }));
    const dm = fake.dmChannel(alice);
    const answered = (text: string) => fake.waitFor(() => fake.botMessages(dm.id).find((m) => m.content.includes(text)), `the answer to "${text}"`, 15_000);

    fake.inject({ from: alice, in: 'dm', content: 'tea\u0000time?' });
    await answered('teatime?');
    fake.inject({ from: alice, in: 'dm', content: 'abc\ud800def' });
    await answered('abc\ufffddef');
    fake.inject({ from: alice, in: 'dm', content: 'placeholder', raw: { content: 42 } });
    fake.inject({ from: alice, in: 'dm', content: 'after the number' });
    await answered('after the number');
    fake.inject({ from: alice, in: 'dm', content: 'a broken file', raw: { attachments: [{ id: '1', filename: { evil: true }, size: 'big', url: 7 }] } });
    fake.inject({ from: alice, in: 'dm', content: 'after the broken file' });
    await answered('after the broken file');
    await h.idle();

    expect(fake.botMessages(dm.id)).toHaveLength(4);
    expect(await setAside(h, 'discord')).toBe(2);
  });
});

describe('Matrix: hostile input never holds back the next message', () => {
  it('answers NUL and lone-surrogate text cleaned, skips a number as body, sets aside a malformed event, then answers the next', async () => {
    const fake: FakeMatrix = await fakeHomeserver();
    close = () => fake.close();
    const dm = fake.createRoom({ members: [OWNER] });
    const h = (hearth = await startHearth({ adapters: [matrixAdapter(fake)], owner: `matrix:${OWNER}` }));
    const answered = (text: string) => eventually(() => fake.botMessages(dm).find((m) => String(m.content.body).includes(text)), `the answer to "${text}"`, 15_000);

    fake.text(dm, OWNER, 'tea\u0000time?');
    await answered('teatime?');
    fake.text(dm, OWNER, 'abc\ud800def');
    await answered('abc\ufffddef');
    // A body that is not text is no message at all (the Matrix spec requires a string).
    fake.event(dm, OWNER, { msgtype: 'm.text', body: 42 });
    fake.text(dm, OWNER, 'after the number');
    await answered('after the number');
    fake.event(dm, OWNER, { msgtype: 'm.text', body: 'from no time' }, 'm.room.message', { origin_server_ts: 'soon' as unknown as number });
    fake.text(dm, OWNER, 'after the broken event');
    await answered('after the broken event');
    await h.idle();

    expect(fake.botMessages(dm).filter((m) => m.content.msgtype === 'm.text')).toHaveLength(4);
    expect(await setAside(h, 'matrix')).toBe(1);
  });
});

describe('hearth chat: hostile input never holds back the next line', () => {
  it('answers a line with NUL, one with a lone surrogate and one of broken UTF-8, each followed by an answered line', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d: Buffer) => (printed += d.toString()));
    const h = (hearth = await startHearth({ adapters: [createConsoleAdapter({ input, output, interactive: false })] }));
    const answered = (text: string) => eventually(() => printed.includes(text), `the answer to "${text}"`, 15_000);

    input.write('tea\u0000time?\n');
    await answered('teatime?');
    input.write('after the NUL\n');
    await answered('after the NUL');
    input.write('abc\ud800def\n');
    await answered('abc\ufffddef');
    input.write('after the surrogate\n');
    await answered('after the surrogate');
    input.write(Buffer.from([0x62, 0x61, 0x64, 0xc3, 0x28, 0xff, 0x0a]));
    await answered('bad\ufffd(\ufffd');
    input.write('after the broken bytes\n');
    await answered('after the broken bytes');
    await h.idle();
    expect(printed.trim().split('\n')).toHaveLength(6);
  });
});
