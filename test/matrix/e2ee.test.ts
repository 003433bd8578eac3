/**
 * Hearth in end-to-end encrypted Matrix rooms, end to end: the whole pipeline behind the adapter
 * with Rust crypto on, and the person played by a second real matrix-js-sdk client with Rust
 * crypto, so every message is really encrypted and decrypted on both sides.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { personText } from '../fakes/ollama.ts';
import { caughtUp, eventually, fakeHomeserver, matrixAdapter, OWNER } from '../fakes/matrix-fixture.ts';
import { Person, type ReadMessage } from '../fakes/matrix-person.ts';
import type { MatrixAdapterOptions } from '../../adapters/matrix/index.ts';

let fake: FakeMatrix;
let hearth: Hearth | undefined;
const people: Person[] = [];

async function start(options: Partial<MatrixAdapterOptions> = {}, config: Record<string, unknown> = {}): Promise<Hearth> {
  hearth = await startHearth({ adapters: [matrixAdapter(fake, { encryption: true, ...options })], owner: `matrix:${OWNER}`, config });
  await eventually(() => fake.e2ee.device(fake.botUserId, fake.botDeviceId), 'Hearth to upload its device keys', 60_000);
  return hearth;
}

async function login(deviceId: string): Promise<Person> {
  const person = await Person.login(fake, OWNER, deviceId);
  people.push(person);
  return person;
}

/** Everything the bot put into the room, as the homeserver stores it. */
function wireTypes(roomId: string): string[] {
  return fake.store.room(roomId)!.events.map((e) => e.event).filter((e) => e.sender === fake.botUserId && e.state_key === undefined).map((e) => e.type);
}

const answers = (messages: ReadMessage[]) => messages.filter((m) => m.msgtype === 'm.text');

beforeEach(async () => {
  fake = await fakeHomeserver();
});
afterEach(async () => {
  for (const person of people.splice(0)) person.stop();
  await hearth?.stop();
  hearth = undefined;
  await fake.close();
});

// Generous bounds: Hearth's start (database, migrations) takes seconds on a busy 2-core box.
describe('Hearth in end-to-end encrypted rooms', { timeout: 300_000 }, () => {
  it('decrypts an encrypted DM, answers it encrypted, and the person reads the answer', async () => {
    const dm = fake.createRoom({ members: [OWNER], encrypted: true });
    const h = await start();
    const phone = await login('OWNERPHONE');
    const question = await phone.send(dm, 'hello there');
    const [answer] = answers(await phone.waitFor(fake.botUserId, dm, (m) => answers(m).some((a) => a.text === 'echo: hello there'), 'the decrypted answer'));
    expect(answer!.wireType).toBe('m.room.encrypted');
    expect(answer!.decrypted).toBe(true);
    expect(answer!.relatesTo).toBeUndefined(); // a DM answer needs no reply quote
    await h.idle();
    expect(h.ollama.chatRequests.map((r) => personText(r.messages.at(-1)?.content ?? ''))).toEqual(['hello there']);
    expect(new Set(wireTypes(dm))).toEqual(new Set(['m.room.encrypted']));
    // The question's ciphertext reached neither the model nor the log.
    const ciphertext = String(fake.store.findEvent(dm, question)!.content.ciphertext);
    expect(ciphertext.length).toBeGreaterThan(20);
    expect(h.logs.join('\n')).not.toContain(ciphertext.slice(0, 40));
  });

  it('streams an answer as encrypted edits the person can read', async () => {
    const dm = fake.createRoom({ members: [OWNER], encrypted: true });
    const h = await start();
    h.ollama.reply({ content: 'one two three four five six seven eight nine ten', pieces: 10, pieceDelayMs: 400 });
    const phone = await login('OWNERPHONE');
    await phone.send(dm, 'count to ten');
    const [answer] = answers(await phone.waitFor(fake.botUserId, dm, (m) => answers(m).some((a) => a.text.endsWith('ten')), 'the finished streamed answer', 180_000));
    expect(answer!.text).toBe('one two three four five six seven eight nine ten');
    expect(answer!.edits).toBeGreaterThan(0);
    expect(new Set(wireTypes(dm))).toEqual(new Set(['m.room.encrypted']));
  });

  it('answers a message whose room key arrives late, once the key is there', async () => {
    const dm = fake.createRoom({ members: [OWNER], encrypted: true });
    await start();
    const phone = await login('OWNERPHONE');
    fake.e2ee.interceptToDevice = (type, sender, target) => (sender === OWNER && target.userId === fake.botUserId && type === 'm.room.encrypted' ? 'hold' : 'deliver');
    const question = await phone.send(dm, 'did my key get lost?');
    expect(fake.store.findEvent(dm, question)).toBeDefined();
    await caughtUp(fake);
    expect(answers(await phone.messagesFrom(fake.botUserId, dm))).toEqual([]);
    fake.e2ee.interceptToDevice = undefined;
    fake.e2ee.release();
    const [answer] = answers(await phone.waitFor(fake.botUserId, dm, (m) => answers(m).length > 0, 'the answer after the key arrived'));
    expect(answer!.text).toBe('echo: did my key get lost?');
  });

  it('tells the person when a room key never arrives, and records the event', async () => {
    const dm = fake.createRoom({ members: [OWNER], encrypted: true });
    const h = await start({ undecryptableTimeoutMs: 1_500 });
    const phone = await login('OWNERPHONE');
    fake.e2ee.interceptToDevice = (type, sender, target) => (sender === OWNER && target.userId === fake.botUserId && type === 'm.room.encrypted' ? 'drop' : 'deliver');
    const question = await phone.send(dm, 'this one is lost');
    const messages = await phone.waitFor(fake.botUserId, dm, (m) => m.some((n) => n.msgtype === 'm.notice'), 'the notice about the unreadable message');
    const notice = messages.find((m) => m.msgtype === 'm.notice')!;
    expect(notice.text).toMatch(/^I could not read your last message/);
    expect(notice.wireType).toBe('m.room.encrypted');
    expect(notice.relatesTo).toEqual({ 'm.in_reply_to': { event_id: question } });
    const audit = await h.audit();
    const record = audit.find((a) => a.kind === 'message.undecryptable');
    expect(record).toMatchObject({ subject: OWNER, detail: expect.objectContaining({ roomId: dm, eventId: question }) });
    expect(JSON.stringify(record)).not.toContain(String(fake.store.findEvent(dm, question)!.content.ciphertext).slice(0, 40));
    expect(h.ollama.chatRequests).toHaveLength(0);
  });

  it('shares the room key with a device that joins later, so it can read the next answer', async () => {
    const dm = fake.createRoom({ members: [OWNER], encrypted: true });
    await start();
    const phone = await login('OWNERPHONE');
    await phone.send(dm, 'first');
    await phone.waitFor(fake.botUserId, dm, (m) => answers(m).some((a) => a.text === 'echo: first'), 'the first answer');
    const laptop = await login('OWNERLAPTOP');
    await phone.send(dm, 'second');
    const read = await laptop.waitFor(fake.botUserId, dm, (m) => answers(m).some((a) => a.text === 'echo: second'), 'the laptop to read the second answer');
    expect(answers(read).find((a) => a.text === 'echo: second')!.decrypted).toBe(true);
  });
});

