/**
 * Repeated audit events folded into counts, so a flood (a stranger writing a thousand times,
 * a script guessing a webhook secret) adds a bounded number of rows. The first event of a source
 * in a window is recorded at once, as before; the repeats are counted in memory and written as
 * one `<kind>` record with `repeats: n` when the window closes (or Hearth stops). At most two
 * records per source and window; at most `maxSources` sources are told apart per window, the
 * rest share one "(other sources)" count.
 */
import type { AuditEntry } from './audit.ts';

export interface RepeatOptions {
  windowMs: number;
  maxSources: number;
  now(): number;
}

interface Pending {
  entry: AuditEntry;
  windowStart: number;
  repeats: number;
}

export const OTHER_SOURCES = '(other sources)';

export class RepeatedEvents {
  private readonly pending = new Map<string, Pending>();
  private readonly options: RepeatOptions;
  constructor(options: RepeatOptions) {
    this.options = options;
  }

  /**
   * Decides what to write for one occurrence: the entry itself (first of its window), nothing
   * (a repeat, counted), plus any summaries of windows that have closed.
   */
  note(source: string, entry: AuditEntry): AuditEntry[] {
    const now = this.options.now();
    const out = this.closed(now);
    let key = `${entry.kind}\u0001${source}`;
    if (!this.pending.has(key) && this.pending.size >= this.options.maxSources) key = `${entry.kind}\u0001${OTHER_SOURCES}`;
    const open = this.pending.get(key);
    if (open) {
      open.repeats++;
      return out;
    }
    this.pending.set(key, { entry, windowStart: now, repeats: 0 });
    out.push(entry);
    return out;
  }

  /** Summaries of windows that ended by `now` (all of them when `everything`), forgotten after. */
  closed(now: number, everything = false): AuditEntry[] {
    const out: AuditEntry[] = [];
    for (const [key, open] of this.pending) {
      if (!everything && now - open.windowStart < this.options.windowMs) continue;
      this.pending.delete(key);
      if (open.repeats > 0) out.push(summary(open, now, key.endsWith(OTHER_SOURCES)));
    }
    return out;
  }
}

function summary(open: Pending, now: number, merged: boolean): AuditEntry {
  return {
    ...open.entry,
    ...(merged ? { subject: OTHER_SOURCES } : {}),
    detail: {
      ...(merged ? {} : open.entry.detail),
      repeats: open.repeats,
      since: new Date(open.windowStart).toISOString(),
      until: new Date(now).toISOString(),
      note: 'the same event repeated this many times after the record before; not recorded one by one',
    },
  };
}
