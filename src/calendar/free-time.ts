/**
 * Free time: the gaps of at least a given length between busy events, inside the waking hours
 * of each day on the person's wall clock (all-day events do not block time, as in most calendar
 * programs, unless they are marked as such upstream).
 */
import { instantOf, wallTimeAt } from '../time/wall.ts';

export interface Interval {
  start: Date;
  end: Date;
}

export interface FreeTimeQuery {
  busy: Interval[];
  from: Date;
  to: Date;
  minutes: number;
  timeZone: string;
  /** Hours of the day that count, on the person's wall clock: [8, 20] by default. */
  dayStartHour: number;
  dayEndHour: number;
  limit: number;
}

/** Each day's window [dayStart, dayEnd) between `from` and `to`, in the person's zone. */
function dayWindows(query: FreeTimeQuery): Interval[] {
  const windows: Interval[] = [];
  const first = wallTimeAt(query.from, query.timeZone);
  for (let offset = 0; offset < 400; offset++) {
    const day = new Date(Date.UTC(first.year, first.month - 1, first.day + offset));
    const wall = { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), minute: 0 };
    const start = instantOf({ ...wall, hour: query.dayStartHour }, query.timeZone);
    if (start >= query.to) break;
    const end = query.dayEndHour >= 24 ? instantOf({ year: wall.year, month: wall.month, day: wall.day + 1, hour: 0, minute: 0 }, query.timeZone) : instantOf({ ...wall, hour: query.dayEndHour }, query.timeZone);
    const clipped = { start: new Date(Math.max(start.getTime(), query.from.getTime())), end: new Date(Math.min(end.getTime(), query.to.getTime())) };
    if (clipped.end > clipped.start) windows.push(clipped);
  }
  return windows;
}

export function freeSlots(query: FreeTimeQuery): Interval[] {
  const busy = [...query.busy].sort((a, b) => a.start.getTime() - b.start.getTime());
  const need = query.minutes * 60_000;
  const slots: Interval[] = [];
  for (const window of dayWindows(query)) {
    let cursor = window.start.getTime();
    for (const event of busy) {
      if (event.end.getTime() <= cursor || event.start.getTime() >= window.end.getTime()) continue;
      if (event.start.getTime() - cursor >= need) slots.push({ start: new Date(cursor), end: event.start });
      cursor = Math.max(cursor, event.end.getTime());
    }
    if (window.end.getTime() - cursor >= need) slots.push({ start: new Date(cursor), end: window.end });
    if (slots.length >= query.limit) break;
  }
  return slots.slice(0, query.limit);
}
