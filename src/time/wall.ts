/**
 * Wall-clock times in a named zone and the instants they mean, through Intl (the tz database
 * Node ships), so "9:00 in Berlin" is 08:00 UTC in winter and 07:00 UTC in summer.
 */

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, found);
  }
  return found;
}

/** The wall clock in `timeZone` at an instant. */
export function wallTimeAt(at: Date, timeZone: string): Required<WallTime> {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(at).map((p) => [p.type, Number(p.value)]));
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

const asUtc = (w: WallTime) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0);

/**
 * The instant a wall-clock time in `timeZone` names. In a spring-forward gap the time is moved
 * forward by the gap (02:30 → 03:30), as calendar programs do; in the autumn overlap, the first.
 */
export function instantOf(wall: WallTime, timeZone: string): Date {
  const target = asUtc(wall);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const offset = asUtc(wallTimeAt(new Date(guess), timeZone)) - guess;
    const next = target - offset;
    if (next === guess) break;
    guess = next;
  }
  if (asUtc(wallTimeAt(new Date(guess), timeZone)) !== target) {
    // In the gap: read the wall time with the offset from before the change.
    const before = new Date(guess - 6 * 3_600_000);
    return new Date(target - (asUtc(wallTimeAt(before, timeZone)) - before.getTime()));
  }
  const earlier = guess - 3_600_000;
  if (asUtc(wallTimeAt(new Date(earlier), timeZone)) === target) return new Date(earlier);
  return new Date(guess);
}

/** "2026-12-03T09:00" (the wall clock in `timeZone`). */
export function isoWallTime(at: Date, timeZone: string): string {
  const w = wallTimeAt(at, timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/**
 * A time a person or the model wrote: "2026-12-03T09:00" or "2026-12-03 09:00" is on the wall
 * clock of `timeZone`; with Z or an offset it is that instant; a bare date is its midnight.
 */
export function parseLocalTime(text: string, timeZone: string): Date | undefined {
  const trimmed = text.trim();
  if (/[zZ]$|[+-]\d{2}:?\d{2}$/.test(trimmed) && /T|\s\d/.test(trimmed)) {
    const at = new Date(trimmed);
    return Number.isNaN(at.getTime()) ? undefined : at;
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T\s](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(trimmed);
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0'] = match;
  return instantOf({ year: Number(year), month: Number(month), day: Number(day), hour: Number(hour), minute: Number(minute), second: Number(second) }, timeZone);
}
