/**
 * Where Hearth's Matrix crypto state (Olm account, Olm and Megolm sessions, device lists,
 * cross-signing and backup keys) lives between runs.
 *
 * matrix-js-sdk's Rust crypto can only persist to IndexedDB (or keep everything in memory);
 * Node has no IndexedDB (matrix-org/matrix-js-sdk#4769). So the Rust store runs on
 * fake-indexeddb (the in-memory IndexedDB the SDK's own test suite uses), and this module makes
 * it durable: after every committed write it is marked dirty, and `flush()` writes one consistent
 * snapshot of its databases (a single read-only transaction over every object store, serialized
 * with Node's structured-clone serializer, `v8.serialize`, which keeps the binary values)
 * to `<dir>/crypto-<device>.bin` atomically (temporary file, fsync, rename, fsync of the
 * folder), mode 0600 in a 0700 folder. The values are also encrypted by the Rust store itself
 * with a 32-byte key kept in the database (adapter state), so the file alone reveals nothing.
 *
 * When flushes happen (see crypto.ts): before the sync token is acknowledged (room keys that
 * arrived by to-device are durable before the homeserver forgets them) and before any request
 * that publishes state created here (key uploads, to-device messages, encrypted sends), so a
 * kill -9 can never leave the homeserver with keys this device has forgotten.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import v8 from 'node:v8';
import 'fake-indexeddb/auto';
import { IDBDatabase as FakeIDBDatabase, indexedDB as fakeIndexedDB } from 'fake-indexeddb';
import type { IDBDatabase, IDBFactory, IDBRequest, IDBTransaction, IDBValidKey } from './idb.ts';

const FORMAT = 1;

const indexedDB = fakeIndexedDB as unknown as IDBFactory;

interface StoreSnapshot {
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexes: Array<{ name: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }>;
  records: Array<{ key: IDBValidKey; value: unknown }>;
}

interface DatabaseSnapshot {
  /** Database name without this process's prefix, e.g. `::matrix-sdk-crypto`. */
  suffix: string;
  version: number;
  stores: StoreSnapshot[];
}

interface Snapshot {
  format: number;
  savedAt: number;
  databases: DatabaseSnapshot[];
}

/** Who wants to hear about committed writes, by database-name prefix. */
const writeListeners = new Map<string, () => void>();
let patched = false;

/**
 * fake-indexeddb keeps every finished transaction in an array forever (a slow leak on a box
 * that runs for months, openclaw/openclaw#90455); prune them as they finish, and report
 * committed read-write transactions to the store that owns the database.
 */
function watchTransactions(): void {
  if (patched) return;
  patched = true;
  const proto = FakeIDBDatabase.prototype as unknown as { transaction: (...args: unknown[]) => IDBTransaction };
  const original = proto.transaction;
  proto.transaction = function (this: IDBDatabase & { _rawDatabase: { transactions: Array<{ _state: string }> } }, ...args: unknown[]) {
    const transaction = original.apply(this, args);
    const raw = this._rawDatabase;
    const name = this.name;
    const finished = (committed: boolean) => () => {
      raw.transactions = raw.transactions.filter((t) => t._state !== 'finished');
      if (!committed || transaction.mode === 'readonly') return;
      for (const [prefix, listener] of writeListeners) if (name.startsWith(prefix)) listener();
    };
    transaction.addEventListener('complete', finished(true));
    transaction.addEventListener('abort', finished(false));
    return transaction;
  };
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function openDatabase(name: string, version?: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => upgrade?.(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`cannot open ${name}`));
  });
}

export class PersistentCryptoStore {
  /** The IndexedDB name prefix handed to the SDK (unique per start, so restarts in one process never share memory). */
  readonly prefix = `hearth-${randomUUID()}`;
  readonly file: string;
  private readonly dir: string;
  private dirty = false;
  private chain: Promise<void> = Promise.resolve();
  private lastError: Error | undefined;
  /** Bytes of the last snapshot written, for doctor and the report. */
  lastSize = 0;

  constructor(dir: string, deviceId: string) {
    this.dir = dir;
    this.file = join(dir, `crypto-${deviceId.replace(/[^A-Za-z0-9_-]/g, '_')}.bin`);
    watchTransactions();
  }

  /** Loads the snapshot into fake-indexeddb under this start's prefix. False when there is none yet. */
  async restore(): Promise<boolean> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    const snapshot = v8.deserialize(bytes) as Snapshot;
    if (snapshot?.format !== FORMAT || !Array.isArray(snapshot.databases)) throw new Error(`${this.file} is not a Hearth crypto store snapshot`);
    for (const database of snapshot.databases) await this.restoreDatabase(database);
    this.lastSize = bytes.length;
    writeListeners.set(this.prefix, () => (this.dirty = true));
    return true;
  }

  /** Starts watching writes (call before the SDK opens the store). */
  watch(): void {
    writeListeners.set(this.prefix, () => (this.dirty = true));
  }

  private async restoreDatabase(snapshot: DatabaseSnapshot): Promise<void> {
    const db = await openDatabase(`${this.prefix}${snapshot.suffix}`, snapshot.version, (upgrading) => {
      for (const store of snapshot.stores) {
        const created = upgrading.createObjectStore(store.name, { keyPath: store.keyPath, autoIncrement: store.autoIncrement });
        for (const index of store.indexes) created.createIndex(index.name, index.keyPath, { unique: index.unique, multiEntry: index.multiEntry });
      }
    });
    try {
      const names = snapshot.stores.map((s) => s.name);
      if (names.length === 0) return;
      const tx = db.transaction(names, 'readwrite');
      const done = new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error ?? new Error('restoring the crypto store was aborted'));
      });
      for (const store of snapshot.stores) {
        const target = tx.objectStore(store.name);
        for (const record of store.records) {
          if (store.keyPath === null) target.put(record.value, record.key);
          else target.put(record.value);
        }
      }
      await done;
    } finally {
      db.close();
    }
  }

  /** True while writes since the last snapshot are not on disk yet. */
  get pending(): boolean {
    return this.dirty;
  }

  get error(): Error | undefined {
    return this.lastError;
  }

  /**
   * Resolves once every write committed before the call is on disk. Concurrent callers share
   * one write; a write that fails rejects (the caller must not acknowledge or publish).
   */
  flush(): Promise<void> {
    if (!this.dirty) return this.chain;
    this.chain = this.chain.catch(() => {}).then(() => this.write());
    return this.chain;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      const snapshot: Snapshot = { format: FORMAT, savedAt: Date.now(), databases: await this.dump() };
      const bytes = v8.serialize(snapshot);
      const temporary = `${this.file}.tmp`;
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.file);
      const folder = await open(this.dir, 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
      this.lastSize = bytes.length;
      this.lastError = undefined;
    } catch (error) {
      this.dirty = true; // try again at the next flush
      this.lastError = error as Error;
      throw error;
    }
  }

  private async dump(): Promise<DatabaseSnapshot[]> {
    const out: DatabaseSnapshot[] = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name?.startsWith(this.prefix) || !info.version) continue;
      const db = await openDatabase(info.name, info.version);
      try {
        const names = [...db.objectStoreNames];
        const stores: StoreSnapshot[] = [];
        if (names.length > 0) {
          // One transaction over every store: a consistent view, never half of a Rust write.
          const tx = db.transaction(names, 'readonly');
          for (const name of names) {
            const store = tx.objectStore(name);
            const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
            stores.push({
              name,
              keyPath: store.keyPath as string | string[] | null,
              autoIncrement: store.autoIncrement,
              indexes: [...store.indexNames].map((indexName) => {
                const index = store.index(indexName);
                return { name: indexName, keyPath: index.keyPath as string | string[], unique: index.unique, multiEntry: index.multiEntry };
              }),
              records: keys.map((key, i) => ({ key, value: values[i] })),
            });
          }
        }
        out.push({ suffix: info.name.slice(this.prefix.length), version: info.version, stores });
      } finally {
        db.close();
      }
    }
    return out;
  }

  /** Forgets this start's in-memory copy (after the SDK closed it). The file stays. */
  async close(): Promise<void> {
    writeListeners.delete(this.prefix);
    for (const info of await indexedDB.databases()) {
      if (!info.name?.startsWith(this.prefix)) continue;
      await new Promise<void>((resolve) => {
        const req = indexedDB.deleteDatabase(info.name!);
        req.onsuccess = req.onerror = req.onblocked = () => resolve();
      });
    }
  }
}
