/**
 * End-to-end encrypted rooms while the owner has switched encryption off (MATRIX_ENCRYPTION=false;
 * with it on, crypto.ts reads them). Instead of ignoring people silently Hearth warns in its log
 * (once per room and process), reports the rooms in health and `hearth doctor`, and tells the
 * people in the room once (remembered across restarts) in a fixed notice: the one plaintext event
 * Hearth sends into an encrypted room, and it carries nothing from anyone's conversation.
 */
import type { AdapterState, Logger } from '../../src/core/index.ts';

const NOTIFIED_KEY = 'encryptedRoomsNotified';

export const ENCRYPTED_NOTICE =
  "I can't read end-to-end encrypted messages here: encryption is switched off for me, so I can't answer in this room. " +
  'Please talk to me in a room without encryption (or ask the person who runs Hearth to turn it on).';

export interface EncryptedRoomsDeps {
  log: Logger;
  state: AdapterState;
  notify(roomId: string): Promise<void>;
}

export class EncryptedRooms {
  private readonly deps: EncryptedRoomsDeps;
  private readonly known = new Map<string, string | undefined>();
  private notified = new Set<string>();

  constructor(deps: EncryptedRoomsDeps) {
    this.deps = deps;
  }

  async load(): Promise<void> {
    const saved = await this.deps.state.get<string[]>(NOTIFIED_KEY);
    this.notified = new Set(Array.isArray(saved) ? saved : []);
  }

  /**
   * The room is encrypted. `tellPeople` when someone is actually there to be told (a live
   * encrypted message, the bot just joined, encryption was just switched on), not for backlog.
   */
  async seen(roomId: string, options: { tellPeople: boolean; title?: string }): Promise<void> {
    if (!this.known.has(roomId)) {
      this.known.set(roomId, options.title);
      this.deps.log.warn(
        { roomId, room: options.title },
        'matrix: this room is end-to-end encrypted and encryption is off (MATRIX_ENCRYPTION=false); Hearth will not answer there. ' +
          'Turn encryption on, or use a room without encryption for Hearth.',
      );
    }
    if (!options.tellPeople || this.notified.has(roomId)) return;
    await this.deps.notify(roomId);
    this.notified.add(roomId);
    await this.deps.state.set(NOTIFIED_KEY, [...this.notified]);
  }

  /** Rooms known to be encrypted, for health and doctor. */
  list(): Array<{ roomId: string; title?: string }> {
    return [...this.known].map(([roomId, title]) => (title ? { roomId, title } : { roomId }));
  }
}
