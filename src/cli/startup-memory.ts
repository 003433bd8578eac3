/**
 * Opening the embedded database unpacks PostgreSQL and its extensions in memory; V8 keeps that
 * garbage for a long time on an idle process, which on a 2 GB box matters. One full collection
 * once Hearth is ready returns it (about 150 MB) to the system.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function releaseStartupGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}
