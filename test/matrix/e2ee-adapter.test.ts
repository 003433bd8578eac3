/**
 * The Matrix adapter's encryption features one by one, without the pipeline: `hearth doctor`'s
 * crypto checks, opening an encrypted direct chat (openDirect), and "verified devices only".
 * The person is a second real matrix-js-sdk client with Rust crypto.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from '../../src/core/index.ts';
import type { FakeMatrix } from '../fakes/matrix.ts';
import { caughtUp, cryptoFolder, eventually, fakeHomeserver, FRIEND, matrixAdapter, matrixContext, OWNER } from '../fakes/matrix-fixture.ts';
import { Person } from '../fakes/matrix-person.ts';

let fake: FakeMatrix;
let adapter: Adapter | undefined;
const people: Person[] = [];

beforeEach(async () => {
  fake = await fakeHomeserver();
});
afterEach(async () => {
  for (const person of people.splice(0)) person.stop();
  await adapter?.stop();
  adapter = undefined;
  await fake.close();
});

async function startAdapter(dir: string, extra: Record<string, unknown> = {}) {
  const ctx = matrixContext();
  adapter = matrixAdapter(fake, { encryption: true, cryptoDir: dir, ...extra });
  await adapter.start(ctx.context);
  await eventually(() => fake.e2ee.device(fake.botUserId, fake.botDeviceId), 'Hearth to upload its device keys', 60_000);
  return ctx;
}

async function login(userId: string, deviceId: string): Promise<Person> {
  const person = await Person.login(fake, userId, deviceId);
  people.push(person);
  return person;
}

/** Waits until the adapter's status file says cross-signing and key backup are set up. */
function trustSetUp(dir: string) {
  return eventually(() => {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { backupVersion: string | null; crossSigning: boolean };
      return parsed.backupVersion && parsed.crossSigning ? parsed : undefined;
    } catch {
      return undefined;
    }
  }, 'cross-signing and key backup to be set up', 90_000);
}

describe('matrix encryption, adapter level', { timeout: 240_000 }, () => {
  it('hearth doctor reports the device, its published keys, the backup and the recovery key file', async () => {
    const dir = cryptoFolder();
    await startAdapter(dir);
    const status = await trustSetUp(dir);
    expect(status.backupVersion).toBe(fake.e2ee.backups.get(fake.botUserId)!.version);

    // `hearth doctor` runs in its own process: an adapter that was never started, same folder.
    const doctor = matrixAdapter(fake, { encryption: true, cryptoDir: dir });
    const checks = await doctor.doctor!();
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName['matrix encryption']).toMatchObject({ ok: true });
    expect(byName['matrix encryption']!.detail).toContain(`device ${fake.botDeviceId}, keys uploaded`);
    expect(byName['matrix key backup']).toMatchObject({ ok: true, detail: `on (backup version ${status.backupVersion})` });
    expect(byName['matrix recovery key']).toMatchObject({ ok: false, fix: expect.stringContaining('delete the file') });
    expect(byName['matrix undecryptable messages']).toMatchObject({ ok: true });

    rmSync(join(dir, 'recovery-key.txt'));
    const after = await doctor.doctor!();
    expect(after.map((c) => c.name)).not.toContain('matrix recovery key');
  });

  it('hearth doctor says when no crypto store exists yet', async () => {
    const doctor = matrixAdapter(fake, { encryption: true, cryptoDir: cryptoFolder() });
    const check = (await doctor.doctor!()).find((c) => c.name === 'matrix encryption')!;
    expect(check).toMatchObject({ ok: false, fix: expect.stringContaining('start Hearth once') });
  });

  it('opens an encrypted direct chat with a known person, marks it in m.direct, and reuses it', async () => {
    await startAdapter(cryptoFolder());
    const phone = await login(OWNER, 'OWNERPHONE');
    const conversation = await adapter!.openDirect!(OWNER);
    expect(conversation).toMatchObject({ kind: 'direct' });
    const roomId = conversation.id;
    expect(fake.store.stateEvent(roomId, 'm.room.encryption', '')?.content).toEqual({ algorithm: 'm.megolm.v1.aes-sha2' });
    expect(fake.store.stateEvent(roomId, 'm.room.member', OWNER)?.content).toMatchObject({ membership: 'invite', is_direct: true });
    expect(fake.store.accountData.get('m.direct')?.content).toEqual({ [OWNER]: [roomId] });
    expect(await adapter!.openDirect!(OWNER)).toEqual(conversation);

    await adapter!.send({ conversation, text: 'Hello from Hearth' });
    await phone.client.joinRoom(roomId);
    const [message] = await phone.waitFor(fake.botUserId, roomId, (m) => m.some((x) => x.decrypted && x.text === 'Hello from Hearth'), 'the person to read the first message');
    expect(message!.wireType).toBe('m.room.encrypted');
  });

  it('keeps waiting for a late room key across a restart, and answers once it arrives', async () => {
    const dm = fake.createRoom({ members: [OWNER], encrypted: true });
    const dir = cryptoFolder();
    const first = await startAdapter(dir);
    const phone = await login(OWNER, 'OWNERPHONE');
    fake.e2ee.interceptToDevice = (type, sender, target) => (sender === OWNER && target.userId === fake.botUserId && type === 'm.room.encrypted' ? 'hold' : 'deliver');
    const question = await phone.send(dm, 'wait for my key');
    await caughtUp(fake);
    await eventually(() => first.logs.some((l) => l.message.startsWith('matrix: cannot decrypt a message yet')), 'Hearth to notice it cannot decrypt the message');
    await adapter!.stop();

    // The sync token moved past the message; only the remembered event id brings it back.
    const second = matrixContext({ state: first.state });
    adapter = matrixAdapter(fake, { encryption: true, cryptoDir: dir });
    await adapter.start(second.context);
    fake.e2ee.interceptToDevice = undefined;
    fake.e2ee.release();
    const received = await eventually(() => second.context.received.find((m) => m.eventId === question), 'the message once its key arrived', 60_000);
    expect(received.text).toBe('wait for my key');
    expect(first.context.received).toEqual([]);
  });

  it('with verified devices only, an unverified device neither gets the room key nor is read', async () => {
    const dm = fake.createRoom({ members: [FRIEND], encrypted: true });
    const ctx = await startAdapter(cryptoFolder(), { verifiedDevicesOnly: true, undecryptableTimeoutMs: 60_000 });
    const tablet = await login(FRIEND, 'FRIENDTABLET'); // never cross-signed by its owner
    await tablet.send(dm, 'can you read me?');
    await caughtUp(fake);
    await adapter!.send({ conversation: { id: dm, kind: 'direct' }, text: 'for verified eyes only' });
    const [sent] = await tablet.waitFor(fake.botUserId, dm, (m) => m.length > 0, 'the answer to reach the tablet');
    expect(sent!.wireType).toBe('m.room.encrypted');
    expect(sent!.decrypted).toBe(false);
    expect(ctx.context.received).toEqual([]);
    const refused = ctx.logs.find((l) => l.message.startsWith('matrix: cannot decrypt a message yet'));
    expect(refused?.fields.reason).toBe('UNSIGNED_SENDER_DEVICE');
  });

  it('a new device with the recovery key keeps Hearth\'s identity and reads what was sent to the lost one', async () => {
    const dm = fake.createRoom({ members: [OWNER], encrypted: true });
    const lostDir = cryptoFolder();
    const first = await startAdapter(lostDir);
    await trustSetUp(lostDir);
    const phone = await login(OWNER, 'OWNERPHONE');
    await phone.send(dm, 'before the move');
    await eventually(() => first.context.received.find((m) => m.text === 'before the move'), 'the first message');
    const backedUp = () => Object.values(fake.e2ee.backups.get(fake.botUserId)?.rooms ?? {}).length > 0 || undefined;
    await eventually(backedUp, 'the room key to reach the key backup', 60_000);
    await adapter!.stop();
    const recoveryKey = readFileSync(join(lostDir, 'recovery-key.txt'), 'utf8').trim().split('\n').at(-1)!;
    rmSync(lostDir, { recursive: true, force: true }); // the data folder is lost; the database (adapter state) is not
    const moved = await phone.send(dm, 'sent while Hearth was being moved');

    const device = fake.addDevice(fake.botUserId, 'HEARTHNEW');
    const second = matrixContext({ state: first.state });
    adapter = matrixAdapter(fake, { encryption: true, cryptoDir: cryptoFolder(), accessToken: device.token, recoveryKey });
    await adapter.start(second.context);
    const received = await eventually(() => second.context.received.find((m) => m.eventId === moved), 'the message sent to the lost device, read by the new one', 90_000);
    expect(received.text).toBe('sent while Hearth was being moved');
    // The same identity: no second cross-signing key or backup; the new device is signed by it.
    expect(fake.callsTo('POST', /^\/keys\/device_signing\/upload$/)).toHaveLength(1);
    expect(fake.callsTo('POST', /^\/room_keys\/version$/)).toHaveLength(1);
    const status = await eventually(() => phone.client.getCrypto()!.getDeviceVerificationStatus(fake.botUserId, 'HEARTHNEW').then((s) => (s?.signedByOwner ? s : undefined)), 'the person to see the new device signed by Hearth\'s identity', 60_000);
    expect(status.signedByOwner).toBe(true);
    // The whole backup is restored too (the message's own key may come first, fetched on its own).
    await eventually(() => second.logs.find((l) => l.message.startsWith('matrix: restored room keys from the key backup')), 'the restore to be logged', 60_000);
    expect(JSON.stringify(second.logs)).not.toContain(recoveryKey);
  });

  it('refuses a recovery key that is not one, naming the setting and the fix', async () => {
    adapter = matrixAdapter(fake, { encryption: true, recoveryKey: 'EsTc not a key at all, just words typed in' });
    await expect(adapter.start(matrixContext().context)).rejects.toThrow(/MATRIX_RECOVERY_KEY is not a valid recovery key.*/);
  });
});
