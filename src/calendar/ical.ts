/**
 * iCalendar in and out (ical.js): the events of a calendar object expanded into the occurrences
 * that fall in a range — recurrence rules, exceptions and excluded dates included — and a new
 * event written. Wall times in a named zone are converted through the tz database (Intl), so a
 * weekly 09:00 meeting stays at 09:00 local across a daylight-saving change.
 */
import ICAL from 'ical.js';
import { isTimeZone } from '../time/zone.ts';
import { instantOf } from '../time/wall.ts';

export interface Occurrence {
  uid: string;
  summary: string;
  start: Date;
  end: Date;
  allDay: boolean;
  location?: string;
  description?: string;
  recurring: boolean;
}

/** Most occurrences looked at per event, so a "daily since 1990" event cannot stall a turn. */
const MAX_STEPS = 5_000;

/** The instant an ical.js time names; floating times are on the person's wall clock. */
function instant(time: ICAL.Time, fallbackZone: string): Date {
  const tzid = time.zone?.tzid ?? (time as unknown as { timezone?: string }).timezone;
  const wall = { year: time.year, month: time.month, day: time.day, hour: time.isDate ? 0 : time.hour, minute: time.isDate ? 0 : time.minute, second: time.isDate ? 0 : time.second };
  if (tzid === 'UTC' || tzid === 'Z') return new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second));
  if (tzid && tzid !== 'floating' && isTimeZone(tzid)) return instantOf(wall, tzid);
  // A zone only its own VTIMEZONE defines ("W. Europe Standard Time"): ical.js applies it.
  if (tzid && tzid !== 'floating' && time.zone?.component) return time.toJSDate();
  return instantOf(wall, fallbackZone);
}

const text = (event: ICAL.Event, name: string) => {
  const value = event.component.getFirstPropertyValue(name);
  return typeof value === 'string' && value.trim() ? value : undefined;
};

/** The occurrences of every event in one iCalendar text that overlap [from, to). */
export function occurrencesIn(data: string, from: Date, to: Date, timeZone: string): Occurrence[] {
  const root = new ICAL.Component(ICAL.parse(data));
  const vevents = root.getAllSubcomponents('vevent');
  const masters = vevents.filter((v) => !v.hasProperty('recurrence-id'));
  const found: Occurrence[] = [];
  for (const master of masters) {
    const event = new ICAL.Event(master);
    for (const exception of vevents.filter((v) => v !== master && v.hasProperty('recurrence-id') && v.getFirstPropertyValue('uid') === event.uid)) event.relateException(exception);
    const describe = (start: ICAL.Time, end: ICAL.Time, item: ICAL.Event, recurring: boolean): Occurrence => ({
      uid: event.uid,
      summary: item.summary || '(no title)',
      start: instant(start, timeZone),
      end: instant(end, timeZone),
      allDay: start.isDate,
      location: text(item, 'location'),
      description: text(item, 'description'),
      recurring,
    });
    if (!event.isRecurring()) {
      const occurrence = describe(event.startDate, event.endDate ?? event.startDate, event, false);
      if (overlaps(occurrence, from, to)) found.push(occurrence);
      continue;
    }
    const iterator = event.iterator();
    for (let step = 0, next = iterator.next(); next && step < MAX_STEPS; step++, next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      const occurrence = describe(details.startDate, details.endDate, details.item, true);
      if (occurrence.start >= to) break;
      if (overlaps(occurrence, from, to)) found.push(occurrence);
    }
  }
  return found;
}

const overlaps = (o: { start: Date; end: Date }, from: Date, to: Date) => o.start < to && (o.end > from || (o.end.getTime() === o.start.getTime() && o.start >= from));

export interface NewEvent {
  uid: string;
  summary: string;
  start: Date;
  end: Date;
  location?: string;
  description?: string;
}

/** A VCALENDAR with one event, times in UTC (every client shows them on its own wall clock). */
export function eventCalendar(event: NewEvent, now: Date): string {
  const calendar = new ICAL.Component(['vcalendar', [], []]);
  calendar.updatePropertyWithValue('prodid', '-//Hearth//Calendar//EN');
  calendar.updatePropertyWithValue('version', '2.0');
  const vevent = new ICAL.Component('vevent');
  vevent.updatePropertyWithValue('uid', event.uid);
  vevent.updatePropertyWithValue('dtstamp', ICAL.Time.fromJSDate(now, true));
  vevent.updatePropertyWithValue('dtstart', ICAL.Time.fromJSDate(event.start, true));
  vevent.updatePropertyWithValue('dtend', ICAL.Time.fromJSDate(event.end, true));
  vevent.updatePropertyWithValue('summary', event.summary);
  if (event.location) vevent.updatePropertyWithValue('location', event.location);
  if (event.description) vevent.updatePropertyWithValue('description', event.description);
  calendar.addSubcomponent(vevent);
  return calendar.toString();
}

export interface EventChange {
  summary?: string;
  start?: Date;
  end?: Date;
  location?: string;
  description?: string;
}

/**
 * The calendar object with its main event changed. Moving a recurring event moves the whole
 * series: its rule stays and the new start is the first occurrence.
 */
export function changedCalendar(data: string, uid: string, change: EventChange, now: Date): string {
  const root = new ICAL.Component(ICAL.parse(data));
  const master = root.getAllSubcomponents('vevent').find((v) => v.getFirstPropertyValue('uid') === uid && !v.hasProperty('recurrence-id'));
  if (!master) throw new Error(`no event ${uid} in this calendar object`);
  const event = new ICAL.Event(master);
  const duration = (event.endDate ? instant(event.endDate, 'UTC').getTime() : 0) - instant(event.startDate, 'UTC').getTime();
  if (change.summary !== undefined) master.updatePropertyWithValue('summary', change.summary);
  if (change.location !== undefined) master.updatePropertyWithValue('location', change.location);
  if (change.description !== undefined) master.updatePropertyWithValue('description', change.description);
  if (change.start) {
    master.updatePropertyWithValue('dtstart', ICAL.Time.fromJSDate(change.start, true));
    const end = change.end ?? new Date(change.start.getTime() + Math.max(duration, 0));
    master.removeAllProperties('duration');
    master.updatePropertyWithValue('dtend', ICAL.Time.fromJSDate(end, true));
  } else if (change.end) {
    master.removeAllProperties('duration');
    master.updatePropertyWithValue('dtend', ICAL.Time.fromJSDate(change.end, true));
  }
  master.updatePropertyWithValue('dtstamp', ICAL.Time.fromJSDate(now, true));
  const sequence = Number(master.getFirstPropertyValue('sequence') ?? 0);
  master.updatePropertyWithValue('sequence', sequence + 1);
  return root.toString();
}

/** The UIDs of the events in one iCalendar text. */
export function uidsIn(data: string): string[] {
  const root = new ICAL.Component(ICAL.parse(data));
  return [...new Set(root.getAllSubcomponents('vevent').map((v) => String(v.getFirstPropertyValue('uid'))))];
}
