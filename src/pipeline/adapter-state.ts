/** Durable key/value per adapter (offsets, sync tokens) in the adapter_state table. */
import { and, eq } from 'drizzle-orm';
import { storableJson, type AdapterState } from '../core/index.ts';
import type { Db } from '../db/client.ts';
import { adapterState } from '../db/schema.ts';

export function adapterStateStore(db: Db, platform: string): AdapterState {
  return {
    async get<T>(key: string) {
      const [row] = await db.select({ value: adapterState.value }).from(adapterState).where(and(eq(adapterState.platform, platform), eq(adapterState.key, key)));
      return row?.value as T | undefined;
    },
    async set(key, given) {
      const value = storableJson(given);
      await db
        .insert(adapterState)
        .values({ platform, key, value })
        .onConflictDoUpdate({ target: [adapterState.platform, adapterState.key], set: { value, updatedAt: new Date() } });
    },
  };
}
