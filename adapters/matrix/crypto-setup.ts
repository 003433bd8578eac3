/**
 * Hearth's own trust setup, done once: cross-signing keys for the bot account (so its device is
 * "verified by its owner" and people can verify Hearth as a user), secret storage protected by a
 * recovery key, and server-side key backup, so a lost data folder can be recovered from the
 * homeserver with the recovery key.
 *
 * The recovery key is shown once: written to `recovery-key.txt` (0600) in the crypto folder,
 * never logged; the log and `hearth doctor` point at the file until the owner has stored the key
 * elsewhere and deleted it. A bot has no screen; the data folder is the owner's own.
 *
 * Also writes `status.json` (nothing secret: device id, public fingerprint, backup version,
 * undecryptable rooms) for `hearth doctor`, which must not open the crypto store itself.
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { GeneratedSecretStorageKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { decodeRecoveryKey } from 'matrix-js-sdk/lib/crypto-api/recovery-key.js';
import { PlatformConfigError } from '../../src/core/index.ts';
import type { Logger } from '../../src/core/index.ts';
import type { MatrixCrypto } from './crypto.ts';
import { PLATFORM } from './errors.ts';

export const RECOVERY_KEY_FILE = 'recovery-key.txt';
export const STATUS_FILE = 'status.json';

/**
 * The secret storage key for the SDK's getSecretStorageKey callback: while it is being created,
 * or the owner's recovery key (MATRIX_RECOVERY_KEY) when a new device takes over from an old one.
 */
export class SecretKeyHolder {
  private key: { keyId: string; privateKey: Uint8Array<ArrayBuffer> } | undefined;
  private recoveryKey: Uint8Array<ArrayBuffer> | undefined;

  /** Throws PlatformConfigError when the recovery key is not one (a typo, a missing group). */
  constructor(recoveryKey?: string) {
    if (!recoveryKey) return;
    try {
      this.recoveryKey = decodeRecoveryKey(recoveryKey);
    } catch (error) {
      throw new PlatformConfigError(PLATFORM, `MATRIX_RECOVERY_KEY is not a valid recovery key (${error instanceof Error ? error.message : String(error)})`, 'copy the whole last line of recovery-key.txt, spaces included, or remove MATRIX_RECOVERY_KEY');
    }
  }

  /** True while the owner's recovery key is at hand (until the setup forgets it). */
  get canRecover(): boolean {
    return this.recoveryKey !== undefined;
  }

  readonly callbacks = {
    getSecretStorageKey: async ({ keys }: { keys: Record<string, unknown> }): Promise<[string, Uint8Array<ArrayBuffer>] | null> => {
      if (this.key && this.key.keyId in keys) return [this.key.keyId, this.key.privateKey];
      // The account's secret storage has one key; a wrong recovery key fails the SDK's MAC check.
      const keyId = Object.keys(keys)[0];
      if (this.recoveryKey && keyId) return [keyId, this.recoveryKey];
      return null;
    },
    cacheSecretStorageKey: (keyId: string, _info: unknown, privateKey: Uint8Array<ArrayBuffer>): void => {
      this.key = { keyId, privateKey };
    },
  };

  forget(): void {
    this.key?.privateKey.fill(0);
    this.key = undefined;
    this.recoveryKey?.fill(0);
    this.recoveryKey = undefined;
  }
}

export interface CryptoStatus {
  userId: string;
  deviceId: string;
  /** Public ed25519 key of the device (what Element shows as the session key). */
  fingerprint: string;
  crossSigning: boolean;
  backupVersion: string | null;
  verifiedDevicesOnly: boolean;
  undecryptable: Array<{ roomId: string; count: number }>;
  updatedAt: string;
}

/** Cross-signing + secret storage + key backup, when not done yet. Never throws. */
export async function setUpTrust(crypto: MatrixCrypto, holder: SecretKeyHolder, dir: string, log: Logger): Promise<void> {
  const api = crypto.api;
  try {
    // Ask the homeserver first: after a restart the backup exists, but the SDK learns so only
    // from this check, and a second backup (with a second recovery key) must never be made.
    if (holder.canRecover) await recover(crypto, log);
    else await api.checkKeyBackupAndEnable();
    const backupActive = (await api.getActiveSessionBackupVersion()) !== null;
    if (!(await api.isCrossSigningReady())) {
      // Synapse lets an account upload its first cross-signing keys without a password
      // (MSC3967); replacing existing ones needs interactive auth, which a bot cannot do.
      await api.bootstrapCrossSigning({ authUploadDeviceSigningKeys: async (makeRequest) => void (await makeRequest(null)) });
      log.info('matrix: cross-signing set up for the bot account');
    }
    const storageReady = await api.isSecretStorageReady();
    if (!storageReady || !backupActive) {
      let created: GeneratedSecretStorageKey | undefined;
      await api.bootstrapSecretStorage({
        createSecretStorageKey: async () => (created = await api.createRecoveryKeyFromPassphrase()),
        setupNewSecretStorage: !storageReady,
        setupNewKeyBackup: !backupActive,
      });
      if (created?.encodedPrivateKey) {
        const file = join(dir, RECOVERY_KEY_FILE);
        const handle = await open(file, 'w', 0o600);
        try {
          await handle.writeFile(
            `Hearth's Matrix recovery key for ${crypto.deviceId} (shown once).\n` +
              'Store it in a password manager, then delete this file. With it, a new Hearth device can\n' +
              'restore its encryption keys from the homeserver backup (docs/matrix.md).\n\n' +
              `${created.encodedPrivateKey}\n`,
          );
        } finally {
          await handle.close();
        }
        log.warn({ file }, 'matrix: key backup is on; the recovery key was written to a file once: store it safely, then delete the file');
      }
    }
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.message : String(error) }, 'matrix: could not set up cross-signing and key backup; encryption works without them (see docs/matrix.md)');
  } finally {
    holder.forget();
    await crypto.store.flush().catch(() => {});
  }
}

/**
 * A new device with the owner's recovery key: take over the account's cross-signing keys from
 * secret storage (so the device is signed by the same identity people verified, and no second
 * identity is made), load the backup key, and restore the room keys from the server-side backup
 * (messages sent to the old device become readable). Throws when the key does not open the
 * account's secret storage; setUpTrust then logs it and creates nothing new.
 */
async function recover(crypto: MatrixCrypto, log: Logger): Promise<void> {
  const api = crypto.api;
  if (!(await api.isCrossSigningReady())) await api.bootstrapCrossSigning({});
  if (!(await api.getSessionBackupPrivateKey())) await api.loadSessionBackupPrivateKeyFromSecretStorage();
  await api.checkKeyBackupAndEnable();
  const restored = await api.restoreKeyBackup();
  log.info({ imported: restored.imported, total: restored.total }, 'matrix: restored room keys from the key backup with the recovery key; MATRIX_RECOVERY_KEY can be removed now');
}

export async function writeStatus(dir: string, status: Omit<CryptoStatus, 'updatedAt'>): Promise<void> {
  const file = join(dir, STATUS_FILE);
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify({ ...status, updatedAt: new Date().toISOString() }, null, 2));
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

export async function cryptoStatus(crypto: MatrixCrypto, extra: { userId: string; verifiedDevicesOnly: boolean; undecryptable: CryptoStatus['undecryptable'] }): Promise<Omit<CryptoStatus, 'updatedAt'>> {
  const api = crypto.api;
  const [keys, crossSigning, backupVersion] = await Promise.all([crypto.ownKeys(), api.isCrossSigningReady().catch(() => false), api.getActiveSessionBackupVersion().catch(() => null)]);
  return { userId: extra.userId, deviceId: crypto.deviceId, fingerprint: keys.ed25519, crossSigning, backupVersion, verifiedDevicesOnly: extra.verifiedDevicesOnly, undecryptable: extra.undecryptable };
}
