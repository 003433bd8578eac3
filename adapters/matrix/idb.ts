/**
 * The few IndexedDB shapes crypto-store.ts uses: the project compiles without the DOM library,
 * and fake-indexeddb's own typings refer to it.
 */
export type IDBValidKey = string | number | Date | ArrayBuffer | ArrayBufferView | IDBValidKey[];
export interface IDBRequest<T> {
  result: T;
  error: Error | null;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
export interface IDBOpenDBRequest extends IDBRequest<IDBDatabase> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}
export interface IDBIndex {
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}
export interface IDBObjectStore {
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexNames: Iterable<string>;
  index(name: string): IDBIndex;
  createIndex(name: string, keyPath: string | string[], options: { unique: boolean; multiEntry: boolean }): IDBIndex;
  put(value: unknown, key?: IDBValidKey): unknown;
  getAll(): IDBRequest<unknown[]>;
  getAllKeys(): IDBRequest<IDBValidKey[]>;
}
export interface IDBTransaction {
  mode: string;
  error: Error | null;
  objectStore(name: string): IDBObjectStore;
  oncomplete: (() => void) | null;
  onabort: (() => void) | null;
  addEventListener(type: 'complete' | 'abort', listener: () => void): void;
}
export interface IDBDatabase {
  name: string;
  objectStoreNames: Iterable<string>;
  transaction(names: string[], mode: 'readonly' | 'readwrite'): IDBTransaction;
  createObjectStore(name: string, options: { keyPath: string | string[] | null; autoIncrement: boolean }): IDBObjectStore;
  close(): void;
}
export interface IDBFactory {
  open(name: string, version?: number): IDBOpenDBRequest;
  deleteDatabase(name: string): IDBOpenDBRequest;
  databases(): Promise<Array<{ name?: string; version?: number }>>;
}
