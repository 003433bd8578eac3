/**
 * When a reminder fires, from what a person typed, in their own time zone. One-off times
 * ("in 10 minutes", "tomorrow at 8", "friday 18:00", "2027-01-05 09:00", ISO 8601) are read by
 * chrono-node; repeating ones ("every weekday at 7:00", "every 2 hours") become an RFC 5545 rule
 * that rrule expands. Clock times are wall-clock times in the person's zone: rules are expanded
 * in "floating" time (local fields stored as if UTC) and each occurrence is placed in the zone
 * with luxon, so a daily 7:30 stays at 7:30 across a daylight-saving change. Intervals shorter
 * than a day ("every 2 hours", "in 20 minutes") are elapsed time instead, which a DST change
 * must not stretch or shrink.
 */
// English only, which is what chrono's default parse uses: the package's index loads all fifteen
// of its languages (215 more modules at every start).
import * as chrono from 'chrono-node/en';
import { DateTime } from 'luxon';
// rrule ships CommonJS under Node: its named exports exist only on the default export.
import rrule, { type Weekday } from 'rrule';

const { RRule } = rrule;

export interface Repeat {
  /** RFC 5545 RRULE with DTSTART. */
  rule: string;
  /** True: DTSTART and occurrences are local wall-clock times in the reminder's zone. */
  wallClock: boolean;
  /** How the person said it, normalized ("every weekday at 07:00"), for lists and confirmations. */
  description: string;
}

export type When = { kind: 'once'; at: Date } | { kind: 'repeat'; first: Date; repeat: Repeat };

export interface ParsedWhen {
  when: When;
  /** The rest of the text: what to remind of, or the routine's instruction. */
  rest: string;
}

export class WhenError extends Error {
  override name = 'WhenError';
}

const UNIT_MS: Record<string, number> = { second: 1_000, minute: 60_000, hour: 3_600_000 };
const DAYS: Record<string, Weekday> = {
  monday: RRule.MO, tuesday: RRule.TU, wednesday: RRule.WE, thursday: RRule.TH, friday: RRule.FR, saturday: RRule.SA, sunday: RRule.SU,
  mon: RRule.MO, tue: RRule.TU, wed: RRule.WE, thu: RRule.TH, fri: RRule.FR, sat: RRule.SA, sun: RRule.SU,
};
const DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const WEEKDAYS = [RRule.MO, RRule.TU, RRule.WE, RRule.TH, RRule.FR];

const EXAMPLES = 'in 10 minutes, tomorrow at 8, friday 18:00, 2027-01-05 09:00, every day at 7:30, every monday 9:00, every weekday at 7:00 or every 2 hours';

/** Reads "<when> <what>" (the time may also come last); throws WhenError saying what it could not understand. */
export function parseWhen(text: string, options: { now: Date; timeZone: string; minIntervalMs: number }): ParsedWhen {
  const trimmed = text.trim();
  if (/^every\b/i.test(trimmed)) return parseRepeat(trimmed, options);
  return parseOnce(trimmed, options);
}

function parseOnce(text: string, { now, timeZone }: { now: Date; timeZone: string }): ParsedWhen {
  const floatingNow = toFloating(now, timeZone);
  const [result] = chrono.parse(text, { instant: floatingNow, timezone: 0 }, { forwardDate: true });
  if (!result) throw new WhenError(`I could not find a time in "${text}". Try for example: ${EXAMPLES}.`);
  let at: Date;
  if (result.start.tags().has('result/relativeDate')) {
    // "in 20 minutes" is elapsed time, even when the clocks change in between.
    at = new Date(now.getTime() + (result.start.date().getTime() - floatingNow.getTime()));
  } else if (result.start.isCertain('timezoneOffset')) {
    at = result.start.date(); // ISO 8601 with an offset names the instant itself
  } else {
    at = fromFloating(result.start.date(), timeZone);
  }
  if (at.getTime() <= now.getTime()) throw new WhenError(`${result.text} is already past. Give a time in the future.`);
  const rest = cleanRest(text.slice(0, result.index) + ' ' + text.slice(result.index + result.text.length));
  return { when: { kind: 'once', at }, rest };
}

const REPEAT = /^every\s+(?:(\d+)\s+)?(seconds?|minutes?|mins?|hours?|days?|weekdays?|(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)(?:\s*(?:,|and)\s*(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)*)\b\s*(?:at\s+)?(?:(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?(?![\d:]))?/i;

function parseRepeat(text: string, { now, timeZone, minIntervalMs }: { now: Date; timeZone: string; minIntervalMs: number }): ParsedWhen {
  const match = REPEAT.exec(text);
  if (!match) throw new WhenError(`I could not understand how often "${text}" should repeat. Try for example: every day at 7:30, every monday 9:00, every weekday at 7:00 or every 2 hours.`);
  const [whole, count, unitText, hourText, minuteText, meridiem] = match;
  const interval = count ? Number(count) : 1;
  if (interval < 1) throw new WhenError('The interval must be at least 1.');
  const unit = unitText!.toLowerCase().replace(/s$/, '').replace(/^min$/, 'minute');
  const rest = cleanRest(text.slice(whole.length));

  if (UNIT_MS[unit]) {
    const everyMs = interval * UNIT_MS[unit]!;
    if (everyMs < minIntervalMs) throw new WhenError(`That repeats too often: the shortest interval is ${describeDuration(minIntervalMs)}.`);
    if (hourText) throw new WhenError(`"every ${interval} ${unit}s" cannot also have a clock time; use "every day at …" for that.`);
    const first = new Date(now.getTime() + everyMs);
    const rule = new RRule({ freq: unit === 'hour' ? RRule.HOURLY : unit === 'minute' ? RRule.MINUTELY : RRule.SECONDLY, interval, dtstart: first });
    return { when: { kind: 'repeat', first, repeat: { rule: rule.toString(), wallClock: false, description: `every ${interval === 1 ? unit : `${interval} ${unit}s`}` } }, rest };
  }

  if (!hourText) throw new WhenError(`At what time? For example "every ${unitText} at 7:30".`);
  let hour = Number(hourText);
  const minute = minuteText ? Number(minuteText) : 0;
  if (meridiem) hour = (hour % 12) + (meridiem.toLowerCase() === 'pm' ? 12 : 0);
  if (hour > 23 || minute > 59) throw new WhenError(`${hourText}:${minuteText ?? '00'} is not a time of day.`);
  const clock = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;

  let byweekday: Weekday[] | undefined;
  let description: string;
  let freq = RRule.DAILY;
  if (unit === 'day') {
    description = interval === 1 ? `every day at ${clock}` : `every ${interval} days at ${clock}`;
  } else if (unit === 'weekday') {
    byweekday = WEEKDAYS;
    freq = RRule.WEEKLY;
    description = `every weekday at ${clock}`;
  } else {
    const names = unitText!.toLowerCase().split(/\s*(?:,|and)\s*/);
    byweekday = names.map((name) => {
      const day = DAYS[name.replace(/s$/, '')] ?? DAYS[name.slice(0, 3)];
      if (!day) throw new WhenError(`"${name}" is not a day of the week.`);
      return day;
    });
    freq = RRule.WEEKLY;
    description = `every ${byweekday.map((d) => DAY_NAMES[d.weekday]).join(', ')} at ${clock}`;
  }
  // DTSTART: today's date at that clock time, in floating time; occurrences before now are skipped.
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  const dtstart = new Date(Date.UTC(local.year, local.month - 1, local.day, hour, minute));
  const rule = new RRule({ freq, interval, byweekday, byhour: [hour], byminute: [minute], bysecond: [0], dtstart });
  const repeat: Repeat = { rule: rule.toString(), wallClock: true, description };
  const first = nextOccurrence(repeat, timeZone, now);
  if (!first) throw new WhenError(`"${text}" never happens.`);
  return { when: { kind: 'repeat', first, repeat }, rest };
}

/** The first occurrence strictly after `after`, as an instant; undefined when the rule has ended. */
export function nextOccurrence(repeat: Repeat, timeZone: string, after: Date): Date | undefined {
  const rule = RRule.fromString(repeat.rule);
  if (!repeat.wallClock) return rule.after(after, false) ?? undefined;
  let cursor = toFloating(after, timeZone);
  // Around a fall-back change one wall time maps to two instants; step on until it is later.
  for (let i = 0; i < 4; i++) {
    const floating = rule.after(cursor, false);
    if (!floating) return undefined;
    const at = fromFloating(floating, timeZone);
    if (at.getTime() > after.getTime()) return at;
    cursor = floating;
  }
  return undefined;
}

/** The next `count` occurrences from `first` on (for confirmations and lists). */
export function upcoming(repeat: Repeat, timeZone: string, first: Date, count: number): Date[] {
  const out = [first];
  while (out.length < count) {
    const next = nextOccurrence(repeat, timeZone, out.at(-1)!);
    if (!next) break;
    out.push(next);
  }
  return out;
}

/** The wall-clock fields of `at` in `timeZone`, as a Date whose UTC fields hold them. */
function toFloating(at: Date, timeZone: string): Date {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond));
}

/** The instant that wall-clock time has in `timeZone`; a time skipped by a spring-forward change moves on by the gap. */
function fromFloating(floating: Date, timeZone: string): Date {
  return DateTime.fromObject(
    { year: floating.getUTCFullYear(), month: floating.getUTCMonth() + 1, day: floating.getUTCDate(), hour: floating.getUTCHours(), minute: floating.getUTCMinutes(), second: floating.getUTCSeconds() },
    { zone: timeZone },
  ).toJSDate();
}

function cleanRest(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/^(?:to|that|:|-|,)\s+/i, '').trim();
}

export function describeDuration(ms: number): string {
  const units: Array<[number, string]> = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1_000, 'second']];
  for (const [size, name] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms / size === 1 ? '' : 's'}`;
  return `${ms} ms`;
}
