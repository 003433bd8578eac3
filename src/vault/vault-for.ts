/** The vault of this Hearth: its database, and the key from HEARTH_SECRET_KEY or the data folder. */
import type { Config } from '../config/types.ts';
import type { Database } from '../db/client.ts';
import { Connections } from './connections.ts';

export const vaultFor = (config: Pick<Config, 'dataDir' | 'secretKey'>, database: Database) => new Connections(database.db, { dataDir: config.dataDir, secretKey: config.secretKey });
