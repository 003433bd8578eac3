/** Encrypted rooms with encryption switched off (MATRIX_ENCRYPTION=false): Hearth says it cannot read them instead of ignoring people. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from '../../src/core/index.ts';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { caughtUp, eventually, fakeHomeserver, FRIEND, matrixAdapter, matrixContext, OWNER } from '../fakes/matrix-fixture.ts';

describe('matrix encrypted rooms with encryption off', () => {
  let fake: FakeMatrix;
  let adapter: Adapter;

  beforeEach(async () => {
    fake = await fakeHomeserver();
  });
  afterEach(async () => {
    await adapter?.stop();
    await fake.close();
  });

  const notices = (roomId: string) => fake.botMessages(roomId).filter((m) => m.content.msgtype === 'm.notice');

  it('warns in the log, tells the room once, and reports the room in health; other rooms keep working', async () => {
    const secret = fake.createRoom({ members: [OWNER, FRIEND], name: 'Family (encrypted)', encrypted: true });
    const plain = fake.createRoom({ members: [OWNER] });
    const ctx = matrixContext();
    adapter = matrixAdapter(fake);
    await adapter.start(ctx.context);

    // Known from the first sync: logged and reported, but nobody is told about backlog.
    expect(ctx.logs.filter((l) => l.level === 'warn' && l.message.includes('end-to-end encrypted') && l.fields.roomId === secret)).toHaveLength(1);
    expect(notices(secret)).toHaveLength(0);

    fake.encryptedMessage(secret, OWNER);
    await eventually(() => notices(secret).length === 1 || undefined, 'the notice in the encrypted room');
    expect(notices(secret)[0]!.text).toMatch(/can't read end-to-end encrypted messages/);
    expect(notices(secret)[0]!.content.format).toBeUndefined(); // plain, unencrypted text

    fake.encryptedMessage(secret, FRIEND);
    fake.text(plain, OWNER, 'are you there?');
    await eventually(() => ctx.context.received.length === 1 || undefined, 'the message in the plain room');
    await caughtUp(fake);
    expect(notices(secret)).toHaveLength(1); // told once, not per message
    expect(ctx.context.received.map((m) => m.text)).toEqual(['are you there?']);
    expect(ctx.logs.filter((l) => l.level === 'warn' && l.fields.roomId === secret)).toHaveLength(1);
    expect(adapter.health()).toMatchObject({ ok: true });
    expect(adapter.health().detail).toContain('Family (encrypted)');
  });

  it('remembers across restarts that it already told a room', async () => {
    const secret = fake.createRoom({ members: [OWNER], encrypted: true });
    const ctx = matrixContext();
    adapter = matrixAdapter(fake);
    await adapter.start(ctx.context);
    fake.encryptedMessage(secret, OWNER);
    await eventually(() => notices(secret).length === 1 || undefined, 'the notice');
    await caughtUp(fake);
    await adapter.stop();

    const again = matrixContext({ state: ctx.state });
    adapter = matrixAdapter(fake);
    await adapter.start(again.context);
    fake.encryptedMessage(secret, OWNER);
    await caughtUp(fake);
    expect(notices(secret)).toHaveLength(1);
    // A fresh process still warns in its own log when it meets the room.
    expect(again.logs.some((l) => l.level === 'warn' && l.fields.roomId === secret)).toBe(true);
  });

  it('tells people when it is invited into an encrypted room, and when a room turns encryption on', async () => {
    const invitedTo = fake.createRoom({ members: [OWNER], botJoined: false, encrypted: true });
    fake.invite(invitedTo, OWNER);
    const later = fake.createRoom({ members: [OWNER, FRIEND] });
    const ctx = matrixContext();
    adapter = matrixAdapter(fake);
    await adapter.start(ctx.context);
    await eventually(() => notices(invitedTo).length === 1 || undefined, 'the notice after joining');

    fake.enableEncryption(later, OWNER);
    await eventually(() => notices(later).length === 1 || undefined, 'the notice after encryption was switched on');
    const checks = await adapter.doctor!();
    const encrypted = checks.find((c) => c.name === 'matrix encrypted rooms')!;
    expect(encrypted.ok).toBe(false);
    expect(encrypted.detail).toContain(invitedTo);
    expect(encrypted.detail).toContain(later);
  });
});
