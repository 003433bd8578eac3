/**
 * A person on the Matrix stand-in, played by a second real matrix-js-sdk client with Rust crypto
 * (in memory, like a fresh Element session): it syncs, sends encrypted messages the way Element
 * does, and reads Hearth's answers by decrypting them with its own keys.
 */
import { ClientEvent, createClient, SyncState, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { logger as sdkGlobalLogger, type Logger as SdkLogger } from 'matrix-js-sdk/lib/logger.js';
import type { FakeMatrix } from './matrix.ts';
import { eventually } from '../helpers/eventually.ts';

const quiet: SdkLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => quiet,
};

export interface ReadMessage {
  eventId: string;
  /** The type on the wire: m.room.encrypted for everything Hearth sends into an encrypted room. */
  wireType: string;
  decrypted: boolean;
  /** Latest text, edits applied. */
  text: string;
  msgtype: string | undefined;
  relatesTo: unknown;
  edits: number;
}

export class Person {
  readonly client: MatrixClient;
  readonly userId: string;
  readonly deviceId: string;

  private constructor(client: MatrixClient, userId: string, deviceId: string) {
    this.client = client;
    this.userId = userId;
    this.deviceId = deviceId;
  }

  /** Logs in on a new device of `userId`, sets up crypto and syncs until ready. */
  static async login(fake: FakeMatrix, userId: string, deviceId: string): Promise<Person> {
    // Some SDK modules log through its process-wide logger (console, debug level) instead.
    (sdkGlobalLogger as unknown as { setLevel(level: string): void }).setLevel('silent');
    const device = fake.addDevice(userId, deviceId);
    const client = createClient({ baseUrl: fake.url, userId, deviceId, accessToken: device.token, logger: quiet });
    await client.initRustCrypto({ useIndexedDB: false });
    const prepared = new Promise<void>((resolve) => {
      const onSync = (state: SyncState) => {
        if (state !== SyncState.Prepared && state !== SyncState.Syncing) return;
        client.off(ClientEvent.Sync, onSync);
        resolve();
      };
      client.on(ClientEvent.Sync, onSync);
    });
    await client.startClient({ initialSyncLimit: 30 });
    await prepared;
    await eventually(() => fake.e2ee.device(userId, deviceId), `${userId}'s device ${deviceId} to upload its keys`, 60_000);
    return new Person(client, userId, deviceId);
  }

  async send(roomId: string, body: string): Promise<string> {
    const { event_id } = await this.client.sendMessage(roomId, { msgtype: 'm.text', body } as never);
    return event_id;
  }

  /** Hearth's messages in the room as this person's client reads them (decrypting each). */
  async messagesFrom(sender: string, roomId: string): Promise<ReadMessage[]> {
    const room = this.client.getRoom(roomId);
    if (!room) return [];
    const events = room.getLiveTimeline().getEvents().filter((e) => e.getSender() === sender);
    for (const event of events) await this.client.decryptEventIfNeeded(event);
    const edits = events.filter((e) => relation(e)?.rel_type === 'm.replace');
    return events
      .filter((e) => !edits.includes(e) && (e.getType() === 'm.room.message' || e.isDecryptionFailure()))
      .map((event) => {
        const mine = edits.filter((e) => relation(e)?.event_id === event.getId());
        const latest = mine.at(-1)?.getContent()['m.new_content'] as Record<string, unknown> | undefined;
        const content = latest ?? event.getContent();
        return {
          eventId: event.getId()!,
          wireType: event.getWireType(),
          decrypted: !event.isDecryptionFailure(),
          text: String(content.body ?? ''),
          msgtype: typeof content.msgtype === 'string' ? content.msgtype : undefined,
          relatesTo: event.getWireContent()['m.relates_to'],
          edits: mine.length,
        };
      });
  }

  /** Waits until Hearth's messages in the room satisfy `done`. */
  async waitFor(sender: string, roomId: string, done: (messages: ReadMessage[]) => boolean, what: string, ms = 60_000): Promise<ReadMessage[]> {
    return eventually(async () => {
      const messages = await this.messagesFrom(sender, roomId);
      return done(messages) ? messages : undefined;
    }, what, ms);
  }

  stop(): void {
    this.client.stopClient();
  }
}

function relation(event: MatrixEvent): { rel_type?: string; event_id?: string } | undefined {
  return event.getWireContent()['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
}
