/** Shared setup for the Matrix tests: the stand-in, an adapter pointed at it, waiting helpers. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMatrixAdapter, type MatrixAdapterOptions } from '../../adapters/matrix/index.ts';
import type { Adapter, AdapterAuditEvent, AdapterContext, InboundMessage, Logger } from '../../src/core/index.ts';
import { recordingContext } from '../contract/adapter-contract.ts';
import { startFakeMatrix, type FakeMatrix } from './matrix.ts';
import { eventually } from '../helpers/eventually.ts';
export { eventually };

export const OWNER = '@owner:hearth.test';
export const FRIEND = '@friend:hearth.test';
export const STRANGER = '@stranger:elsewhere.test';

/** A fresh folder for a crypto store (the data folder's `matrix/`). */
export function cryptoFolder(): string {
  return mkdtempSync(join(tmpdir(), 'hearth-matrix-crypto-'));
}

/**
 * The adapter against the stand-in. Encryption is off unless asked for: the plain-room suites
 * stay quick, and test/matrix/e2ee*.test.ts drive the encrypted path with a person's real client.
 */
export function matrixAdapter(fake: FakeMatrix, overrides: Partial<MatrixAdapterOptions> = {}): Adapter {
  return createMatrixAdapter({
    encryption: false,
    ...(overrides.encryption && !overrides.cryptoDir ? { cryptoDir: cryptoFolder() } : {}),
    homeserverUrl: fake.url,
    userId: fake.botUserId,
    accessToken: fake.accessToken,
    // Short waits keep fault tests quick; behaviour is the same as with the defaults.
    syncTimeoutMs: 5_000,
    backoffInitialMs: 20,
    backoffMaxMs: 200,
    maxRetryWaitMs: 5_000,
    requestTimeoutMs: 5_000,
    ...overrides,
  });
}

export async function fakeHomeserver(): Promise<FakeMatrix> {
  const fake = await startFakeMatrix();
  fake.setProfile(fake.botUserId, 'Hearth');
  fake.setProfile(OWNER, 'Olivia');
  fake.setProfile(FRIEND, 'Frank');
  return fake;
}




/** Resolves once the adapter has acknowledged everything the homeserver holds right now. */
export async function caughtUp(fake: FakeMatrix, ms = 5_000): Promise<void> {
  const pos = fake.store.pos;
  await eventually(
    () => fake.callsTo('GET', /^\/sync$/).some((c) => c.userId === fake.botUserId && c.query.since !== undefined && Number(c.query.since.slice(1)) >= pos) || undefined,
    `the adapter to sync past position ${pos}`,
    ms,
  );
}

export interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** recordingContext() plus: only `known` accounts are known, audits and log lines are kept. */
export function matrixContext(options: { known?: string[]; state?: Map<string, unknown> } = {}) {
  const base = recordingContext();
  const audits: AdapterAuditEvent[] = [];
  const logs: LogLine[] = [];
  const state = options.state ?? new Map<string, unknown>();
  const known = new Set(options.known ?? [OWNER, FRIEND]);
  const logger = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (a: unknown, b?: string) => {
      if (typeof a === 'string') logs.push({ level, message: a, fields: bindings });
      else logs.push({ level, message: b ?? '', fields: { ...bindings, ...(a as Record<string, unknown>) } });
    };
    return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => logger({ ...bindings, ...more }) };
  };
  const context: AdapterContext & { received: InboundMessage[]; waitForMessage(): Promise<InboundMessage> } = {
    ...base,
    log: logger({}),
    state: {
      async get<T>(key: string) {
        return state.get(key) as T | undefined;
      },
      async set(key, value) {
        state.set(key, structuredClone(value));
      },
    },
    async audit(event) {
      audits.push(event);
    },
    async isKnownAccount(accountId) {
      return known.has(accountId);
    },
  };
  return { context, audits, logs, state };
}
