/**
 * One person's CalDAV calendar through tsdav: log in, pick the calendar (the URL given when it
 * names one, else the first that holds events), and read or write events. Every request has a
 * deadline and follows the turn's abort signal; the server filters by time range, so a large
 * calendar is not downloaded.
 */
import { randomUUID } from 'node:crypto';
import { createDAVClient, type DAVCalendar, type DAVCalendarObject } from 'tsdav';
import type { CalendarSettings } from '../vault/connections.ts';
import { accountProblem, AccountProblem } from '../vault/problems.ts';
import { changedCalendar, eventCalendar, occurrencesIn, uidsIn, type EventChange, type NewEvent, type Occurrence } from './ical.ts';

export interface CalendarLogin {
  settings: CalendarSettings;
  password: string;
  signal?: AbortSignal;
  timeoutMs: number;
}

type Client = Awaited<ReturnType<typeof createDAVClient>>;

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

export class CalendarAccount {
  private readonly client: Client;
  private readonly calendar: DAVCalendar;
  private readonly url: string;

  private constructor(client: Client, calendar: DAVCalendar, url: string) {
    this.client = client;
    this.calendar = calendar;
    this.url = url;
  }

  /** Logs in and finds the calendar; throws an AccountProblem that says what is wrong. */
  static async open(login: CalendarLogin): Promise<CalendarAccount> {
    const { url, username } = login.settings;
    const timed: typeof fetch = (input, init) => {
      const deadline = AbortSignal.timeout(login.timeoutMs);
      return fetch(input, { ...init, signal: login.signal ? AbortSignal.any([login.signal, deadline]) : deadline });
    };
    try {
      // tsdav reports a wrong password as an empty account; ask once directly so it is named.
      const probe = await timed(url, { method: 'PROPFIND', headers: { Depth: '0', Authorization: `Basic ${Buffer.from(`${username}:${login.password}`).toString('base64')}`, 'Content-Type': 'application/xml' } });
      await probe.body?.cancel();
      if (probe.status === 401 || probe.status === 403) throw Object.assign(new Error('unauthorized'), { status: 401 });
      const client = await createDAVClient({ serverUrl: url, credentials: { username, password: login.password }, authMethod: 'Basic', defaultAccountType: 'caldav', fetch: timed });
      const calendars = (await client.fetchCalendars()).filter((c) => !c.components || c.components.includes('VEVENT'));
      const calendar = calendars.find((c) => sameUrl(c.url, url)) ?? calendars[0];
      if (!calendar) throw new AccountProblem('calendar', 'server', `Logged in to ${new URL(url).host}, but the account has no calendar for events. Create one in the calendar's web interface (or give the URL of one), then /connect calendar again.`);
      return new CalendarAccount(client, calendar, url);
    } catch (error) {
      throw accountProblem('calendar', error, url);
    }
  }

  get name(): string {
    return typeof this.calendar.displayName === 'string' && this.calendar.displayName ? this.calendar.displayName : 'calendar';
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw accountProblem('calendar', error, this.url);
    }
  }

  private async objectsIn(from: Date, to: Date): Promise<DAVCalendarObject[]> {
    return this.run(() => this.client.fetchCalendarObjects({ calendar: this.calendar, timeRange: { start: from.toISOString(), end: to.toISOString() } }));
  }

  /** Occurrences overlapping [from, to), recurring events expanded, earliest first. */
  async occurrences(from: Date, to: Date, timeZone: string): Promise<Occurrence[]> {
    const objects = await this.objectsIn(from, to);
    return objects.flatMap((o) => (typeof o.data === 'string' ? occurrencesIn(o.data, from, to, timeZone) : [])).sort((a, b) => a.start.getTime() - b.start.getTime());
  }

  async add(event: Omit<NewEvent, 'uid'>, now: Date): Promise<string> {
    const uid = `${randomUUID()}@hearth`;
    const response = await this.run(() => this.client.createCalendarObject({ calendar: this.calendar, filename: `${uid}.ics`, iCalString: eventCalendar({ ...event, uid }, now) }));
    if (!response.ok) throw new AccountProblem('calendar', 'server', `The calendar server refused the new event (HTTP ${response.status}).`);
    return uid;
  }

  /** The calendar object holding the event `uid`, found by the server (a UID filter). */
  private async objectOf(uid: string): Promise<DAVCalendarObject> {
    const filters = [{ 'comp-filter': { _attributes: { name: 'VCALENDAR' }, 'comp-filter': { _attributes: { name: 'VEVENT' }, 'prop-filter': { _attributes: { name: 'UID' }, 'text-match': { _attributes: { collation: 'i;octet' }, _text: uid } } } } }];
    const objects = await this.run(() => this.client.fetchCalendarObjects({ calendar: this.calendar, filters }));
    const object = objects.find((o) => typeof o.data === 'string' && uidsIn(o.data).includes(uid));
    if (!object) throw new AccountProblem('calendar', 'server', `There is no event with id ${uid} in ${this.name}. List the events again to get its id.`);
    return object;
  }

  async change(uid: string, change: EventChange, now: Date): Promise<void> {
    const object = await this.objectOf(uid);
    const data = changedCalendar(object.data as string, uid, change, now);
    const response = await this.run(() => this.client.updateCalendarObject({ calendarObject: { ...object, data } }));
    if (!response.ok) throw new AccountProblem('calendar', 'server', `The calendar server refused the change (HTTP ${response.status}); the event may have been changed meanwhile. List it again and retry.`);
  }

  async remove(uid: string): Promise<void> {
    const object = await this.objectOf(uid);
    const response = await this.run(() => this.client.deleteCalendarObject({ calendarObject: object }));
    if (!response.ok) throw new AccountProblem('calendar', 'server', `The calendar server refused to delete the event (HTTP ${response.status}).`);
  }
}
