/**
 * Reading reminder times in the person's zone: every form the issue names, in Berlin and New
 * York, including the nights the clocks change.
 */
import { describe, expect, it } from 'vitest';
import { nextOccurrence, parseWhen, upcoming, WhenError, type When } from '../../src/schedule/when.ts';

const MIN = 60_000;
const parse = (text: string, now: string, timeZone: string) => parseWhen(text, { now: new Date(now), timeZone, minIntervalMs: 15 * MIN });
const at = (when: When) => (when.kind === 'once' ? when.at : when.first).toISOString();
const next = (when: When, count: number, timeZone: string) => (when.kind === 'repeat' ? upcoming(when.repeat, timeZone, when.first, count).map((d) => d.toISOString()) : []);

describe.each([
  // Friday 26 March 2027, 10:00 local; Berlin moves its clocks forward on Sunday the 28th.
  { zone: 'Europe/Berlin', now: '2027-03-26T09:00:00Z', offset: '+01:00', after: '+02:00', change: '2027-03-28' },
  // Friday 12 March 2027, 10:00 local; New York moves forward on Sunday the 14th.
  { zone: 'America/New_York', now: '2027-03-12T15:00:00Z', offset: '-05:00', after: '-04:00', change: '2027-03-14' },
])('in $zone', ({ zone, now, offset, after, change }) => {
  const local = (date: string, time: string, o = offset) => new Date(`${date}T${time}:00${o}`).toISOString();
  const day = (n: number) => new Date(new Date(now).getTime() + n * 86_400_000).toISOString().slice(0, 10);

  it('reads relative times as elapsed time', () => {
    expect(parse('in 20 seconds stretch', now, zone)).toEqual({ when: { kind: 'once', at: new Date(new Date(now).getTime() + 20_000) }, rest: 'stretch' });
    expect(at(parse('in 10 minutes check the oven', now, zone).when)).toBe(new Date(new Date(now).getTime() + 10 * MIN).toISOString());
  });

  it('reads days and clock times on the local wall clock', () => {
    const tomorrow = parse('tomorrow at 8 call the dentist', now, zone);
    expect(at(tomorrow.when)).toBe(local(day(1), '08:00'));
    expect(tomorrow.rest).toBe('call the dentist');
    expect(at(parse('friday 18:00 pick up the kids', now, zone).when)).toBe(local(day(0), '18:00'));
    expect(at(parse('2027-01-05 09:00 dentist', '2026-12-01T00:00:00Z', zone).when)).toBe(local('2027-01-05', '09:00'));
    // Sunday after the change: 08:00 is on the summer offset.
    expect(at(parse('sunday 8:00 brunch', now, zone).when)).toBe(local(change, '08:00', after));
    expect(at(parse('2027-01-05T09:00:00Z dentist', '2026-12-01T00:00:00Z', zone).when)).toBe('2027-01-05T09:00:00.000Z');
  });

  it('keeps repeating clock times at the same local time across the change', () => {
    const daily = parse('every day at 7:30 tell me what is on today', now, zone);
    expect(daily.rest).toBe('tell me what is on today');
    expect(next(daily.when, 3, zone)).toEqual([local(day(1), '07:30'), local(change, '07:30', after), local(day(3), '07:30', after)]);
    expect(next(parse('every monday 9:00 bins', now, zone).when, 2, zone)).toEqual([local(day(3), '09:00', after), local(day(10), '09:00', after)]);
    const weekday = parse('every weekday at 7:00 wake up', now, zone);
    expect(next(weekday.when, 2, zone)).toEqual([local(day(3), '07:00', after), local(day(4), '07:00', after)]);
  });

  it('repeats intervals in elapsed time and refuses ones too short', () => {
    const twoHours = parse('every 2 hours drink water', now, zone);
    expect(twoHours.rest).toBe('drink water');
    const start = new Date(now).getTime();
    expect(next(twoHours.when, 2, zone)).toEqual([new Date(start + 120 * MIN).toISOString(), new Date(start + 240 * MIN).toISOString()]);
    expect(() => parse('every second spam', now, zone)).toThrow(/too often: the shortest interval is 15 minutes/);
  });

  it('says what it could not understand', () => {
    expect(() => parse('whenever feed the cat', now, zone)).toThrow(WhenError);
    expect(() => parse('whenever feed the cat', now, zone)).toThrow(/could not find a time in "whenever feed the cat"/);
    expect(() => parse('2020-01-05 09:00 too late', now, zone)).toThrow(/already past/);
    expect(() => parse('every day water the plants', now, zone)).toThrow(/At what time/);
  });
});

describe('a daily reminder on the night the clocks go back', () => {
  it('fires once a day at 1:30 even though 1:30 happens twice that night', () => {
    const zone = 'America/New_York';
    const { when } = parse('every day at 1:30 check', '2027-11-06T12:00:00Z', zone);
    const fired = next(when, 3, zone);
    const wall = fired.map((iso) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' }).format(new Date(iso)));
    expect(wall).toEqual(['2027-11-07, 01:30', '2027-11-08, 01:30', '2027-11-09, 01:30']);
    if (when.kind !== 'repeat') throw new Error('expected a repeating time');
    // Asked again from the first 1:30 (summer time), the answer is the next day, not the second 1:30.
    const firstHalfPast = new Date('2027-11-07T05:30:00Z');
    expect(nextOccurrence(when.repeat, zone, firstHalfPast)!.getTime()).toBeGreaterThan(new Date('2027-11-08T00:00:00Z').getTime());
  });
});
