/**
 * `describe.each(drivers)` for database tests: the PGlite half always runs; the PostgreSQL half
 * runs when a server is there, and is skipped with one line saying how to get one (or fails, in
 * CI) when not — see requirements.ts.
 */
import { describe } from 'vitest';
import { drivers, type Driver } from './databases.ts';
import { describeNeeding } from './requirements.ts';

export function describeEachDriver(title: string, body: (driver: Driver) => void): void {
  for (const driver of drivers) {
    const named = title.replace('%s', driver);
    if (driver === 'postgres') describeNeeding('postgres', named, () => body(driver));
    else describe(named, () => body(driver));
  }
}
