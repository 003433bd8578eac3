/**
 * Calendars against a real CalDAV server (Radicale, started here): connecting in a direct chat
 * (a wrong password named at once, the password message deleted and never stored in the clear),
 * an event the model adds seen by a second CalDAV client at the right local time, a weekly event
 * across the end of daylight-saving time, free time, and one person never reaching another's.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createDAVClient } from 'tsdav';
import { sql } from 'drizzle-orm';
import { startHearth, type Hearth } from '../helpers/harness.ts';
import { createTestAdapter, type TestAdapter } from '../helpers/test-adapter.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';
import { describeNeeding } from '../helpers/requirements.ts';
import { startRadicale, type RunningServer } from '../helpers/account-servers.ts';
import { addPerson, bob, bobDm, until } from '../access/helpers.ts';

const ANN_PASSWORD = 'ann-Calendar-pw-7391';
const BOB_PASSWORD = 'bob-Calendar-pw-2208';
const FAMILY_PASSWORD = 'family-Calendar-pw-4410';
const ADMIN_TOKEN = 'admin-token-for-calendar-tests-0123456789';
const ann = { accountId: 'ann-1', displayName: 'Ann' };
const annDm = { id: 'dm-ann', kind: 'direct' as const };
const ZONE = 'Europe/Berlin';

/** A second CalDAV client, straight through tsdav: what another calendar app would see. */
async function otherClient(server: RunningServer, username: string, password: string) {
  const client = await createDAVClient({ serverUrl: server.url, credentials: { username, password }, authMethod: 'Basic', defaultAccountType: 'caldav' });
  return client;
}

const BERLIN = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

const vcalendar = (...lines: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');

describeNeeding('radicale', 'calendars on a real CalDAV server', () => {
  let server: RunningServer;
  let ollama: FakeOllama;
  let adapter: TestAdapter;
  let hearth: Hearth | undefined;

  beforeAll(async () => {
    server = await startRadicale({ ann: ANN_PASSWORD, bob: BOB_PASSWORD, family: FAMILY_PASSWORD });
    for (const [user, password] of [['ann', ANN_PASSWORD], ['bob', BOB_PASSWORD], ['family', FAMILY_PASSWORD]] as const) {
      const client = await otherClient(server, user, password);
      await client.makeCalendar({ url: `${server.url}${user}/personal/`, props: { displayname: `${user}'s calendar` } });
    }
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await ollama?.close();
  });

  const start = async () => {
    ollama = await startFakeOllama();
    adapter = createTestAdapter();
    hearth = await startHearth({ adapters: [adapter], owner: 'test:owner-1', ollama, config: { timezone: ZONE, secretKey: 'ab'.repeat(32), access: { adminToken: ADMIN_TOKEN } } });
    return hearth;
  };
  const sentTo = (id: string) => adapter.sent.filter((m) => m.conversation.id === id).map((m) => m.text);
  const say = async (h: Hearth, conversation: typeof annDm, sender: typeof ann, text: string) => {
    await adapter.inject({ conversation, sender, text });
    await h.idle();
    return sentTo(conversation.id).at(-1) ?? '';
  };
  const connect = async (h: Hearth, conversation: typeof annDm, sender: typeof ann, user: string, password: string) => {
    await say(h, conversation, sender, `/connect calendar ${server.url}${user}/personal/ ${user}`);
    return say(h, conversation, sender, password);
  };
  const toolResult = (index: number) => ollama.chatRequests[index]!.messages.filter((m) => m.role === 'tool').map((m) => m.content).join('\n');

  it('names a wrong password at once, saves nothing, and never keeps the password message', async () => {
    const h = await start();
    await addPerson(h, 'Ann', 'member', ann);
    expect(await say(h, annDm, ann, `/connect calendar ${server.url}ann/personal/ ann`)).toMatch(/password/i);
    await adapter.inject({ conversation: annDm, sender: ann, text: 'not-the-right-one-123', messageId: 'pw-1' });
    await h.idle();
    const answer = sentTo(annDm.id).at(-1)!;
    expect(answer).toMatch(/rejected the user name or password/);
    expect(answer).toMatch(/Nothing was saved.*\/connect calendar/s);
    expect(adapter.deleted).toContain('pw-1');
    expect(await h.hearth.database.rows(sql`select * from connections`)).toEqual([]);
    const journal = JSON.stringify(await h.hearth.database.rows(sql`select message from inbound_journal`));
    expect(journal).not.toContain('not-the-right-one-123');
    expect(ollama.chatRequests).toHaveLength(0);
  });

  it("adds an event through the model that another CalDAV client sees at the right local time; the password goes nowhere", async () => {
    const h = await start();
    await addPerson(h, 'Ann', 'member', ann);
    expect(await connect(h, annDm, ann, 'ann', ANN_PASSWORD)).toMatch(/Connected your calendar "ann's calendar"/);

    ollama.reply({ toolCalls: [{ name: 'calendar_add', arguments: { title: 'Dentist', start: '2026-12-10T09:30', minutes: 45, location: 'Hauptstraße 5' } }] }, 'Booked: dentist on the 10th at 9:30.');
    expect(await say(h, annDm, ann, 'put the dentist in my calendar on 10 December at 9:30 for 45 minutes')).toBe('Booked: dentist on the 10th at 9:30.');
    expect(toolResult(1)).toMatch(/Added "Dentist" on Thu 10 Dec 2026 09:30 \(Europe\/Berlin\) until 10:15/);

    const other = await otherClient(server, 'ann', ANN_PASSWORD);
    const [calendar] = await other.fetchCalendars();
    const objects = await other.fetchCalendarObjects({ calendar: calendar! });
    expect(objects).toHaveLength(1);
    const data = objects[0]!.data as string;
    expect(data).toContain('SUMMARY:Dentist');
    // 09:30 in Berlin in December (UTC+1) is 08:30 UTC.
    expect(data).toMatch(/DTSTART:20261210T083000Z/);
    expect(data).toMatch(/DTEND:20261210T091500Z/);

    // Secrets: not in logs, audit, any prompt, the journal, the history, or a memory export.
    const everywhere = [h.logs.join('\n'), JSON.stringify(await h.audit()), JSON.stringify(ollama.chatRequests), JSON.stringify(await h.hearth.database.rows(sql`select * from inbound_journal`)), JSON.stringify(await h.hearth.database.rows(sql`select * from messages`)), JSON.stringify(await h.hearth.database.rows(sql`select * from memories`))].join('\n');
    expect(everywhere).toContain('Dentist');
    expect(everywhere).not.toContain(ANN_PASSWORD);
    expect(JSON.stringify(await h.hearth.database.rows(sql`select * from connections`))).not.toContain(ANN_PASSWORD);
  });

  it('lists a weekly event on the right dates and at 09:00 local on both sides of the daylight-saving change', async () => {
    const h = await start();
    await addPerson(h, 'Ann', 'member', ann);
    await connect(h, annDm, ann, 'ann', ANN_PASSWORD);
    const other = await otherClient(server, 'ann', ANN_PASSWORD);
    const [calendar] = await other.fetchCalendars();
    await other.createCalendarObject({
      calendar: calendar!,
      filename: 'choir.ics',
      iCalString: vcalendar(...BERLIN, 'BEGIN:VEVENT', 'UID:choir-1', 'DTSTAMP:20260901T000000Z', 'DTSTART;TZID=Europe/Berlin:20261014T090000', 'DTEND;TZID=Europe/Berlin:20261014T100000', 'RRULE:FREQ=WEEKLY;COUNT=6', 'EXDATE;TZID=Europe/Berlin:20261104T090000', 'SUMMARY:Choir practice', 'END:VEVENT'),
    });

    ollama.reply({ toolCalls: [{ name: 'calendar_events', arguments: { from: '2026-10-12T00:00', to: '2026-11-30T00:00', words: 'choir' } }] }, 'Here are your choir dates.');
    await say(h, annDm, ann, 'when is choir practice?');
    const listed = toolResult(1).split('\n').filter((l) => l.includes('Choir practice'));
    expect(listed.map((l) => /- (\w+ \d+ \w+ \d+ \d\d:\d\d)–(\d\d:\d\d)/.exec(l)?.slice(1).join('–'))).toEqual([
      'Wed 14 Oct 2026 09:00–10:00',
      'Wed 21 Oct 2026 09:00–10:00',
      // Daylight-saving time ends on 25 October: still 09:00 on the wall clock.
      'Wed 28 Oct 2026 09:00–10:00',
      // 4 November is excluded (EXDATE).
      'Wed 11 Nov 2026 09:00–10:00',
      'Wed 18 Nov 2026 09:00–10:00',
    ]);
    expect(listed[0]).toContain('[id: choir-1]');
  });

  it('finds free time between events', async () => {
    const h = await start();
    await addPerson(h, 'Ann', 'member', ann);
    await connect(h, annDm, ann, 'ann', ANN_PASSWORD);
    const other = await otherClient(server, 'ann', ANN_PASSWORD);
    const [calendar] = await other.fetchCalendars();
    // 09:00–10:00 and 10:30–12:00 Berlin time on Monday 14 December (UTC+1).
    await other.createCalendarObject({ calendar: calendar!, filename: 'a.ics', iCalString: vcalendar('BEGIN:VEVENT', 'UID:busy-a', 'DTSTAMP:20261201T000000Z', 'DTSTART:20261214T080000Z', 'DTEND:20261214T090000Z', 'SUMMARY:Standup', 'END:VEVENT') });
    await other.createCalendarObject({ calendar: calendar!, filename: 'b.ics', iCalString: vcalendar('BEGIN:VEVENT', 'UID:busy-b', 'DTSTAMP:20261201T000000Z', 'DTSTART:20261214T093000Z', 'DTEND:20261214T110000Z', 'SUMMARY:Review', 'END:VEVENT') });

    ollama.reply({ toolCalls: [{ name: 'calendar_free_time', arguments: { minutes: 60, from: '2026-12-14T08:00', to: '2026-12-14T14:00' } }] }, 'You are free 8–9 and after 12.');
    await say(h, annDm, ann, 'when do I have an hour on Monday morning?');
    const result = toolResult(1);
    expect(result.split('\n').filter((l) => l.startsWith('- '))).toEqual(['- Mon 14 Dec 2026 08:00–09:00', '- Mon 14 Dec 2026 12:00–14:00']);
  });

  it("never shows one person's calendar to another, whatever the model asks", async () => {
    const h = await start();
    await addPerson(h, 'Ann', 'member', ann);
    await addPerson(h, 'Bob', 'member', bob);
    await connect(h, annDm, ann, 'ann', ANN_PASSWORD);
    ollama.reply({ toolCalls: [{ name: 'calendar_add', arguments: { title: 'Secret surprise party planning', start: '2026-12-20T18:00' } }] }, 'Added.');
    await say(h, annDm, ann, 'add the party planning');

    // Bob has no calendar: the tool says so and shows nothing of Ann's.
    ollama.reply({ toolCalls: [{ name: 'calendar_events', arguments: { from: '2026-12-01T00:00', to: '2026-12-31T00:00' } }] }, 'You have no calendar connected.');
    await say(h, bobDm, bob, "show me Ann's calendar for December");
    const bobSees = toolResult(ollama.chatRequests.length - 1);
    expect(bobSees).toMatch(/has not connected a calendar/);
    expect(bobSees).not.toContain('surprise');

    // With his own calendar connected, he sees only his own events.
    expect(await connect(h, bobDm, bob, 'bob', BOB_PASSWORD)).toMatch(/Connected/);
    ollama.reply({ toolCalls: [{ name: 'calendar_events', arguments: { from: '2026-12-01T00:00', to: '2026-12-31T00:00', words: 'party' } }] }, 'Nothing.');
    await say(h, bobDm, bob, 'any parties in December?');
    const bobOwn = toolResult(ollama.chatRequests.length - 1);
    expect(bobOwn).toMatch(/\(none\)/);
    expect(bobOwn).not.toContain('surprise');
    await until(async () => (await h.audit()).some((a) => a.kind === 'connection.saved'), 'the connection audit');
  });

  it('shares the household calendar the owner set up with the chosen people only; an unreachable server is named', async () => {
    const h = await start();
    await addPerson(h, 'Ann', 'member', ann);
    await addPerson(h, 'Bob', 'member', bob);
    const admin = (body: Record<string, string>) => h.request('/admin/connections/calendar', { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const closed = await admin({ household: 'true', url: 'http://127.0.0.1:9/', username: 'family', password: FAMILY_PASSWORD });
    expect(closed.status).toBe(400);
    expect(((await closed.json()) as { error: string }).error).toMatch(/Cannot reach the calendar server at 127\.0\.0\.1:9/);
    const shared = await admin({ household: 'true', url: `${server.url}family/personal/`, username: 'family', password: FAMILY_PASSWORD, share: 'Ann' });
    expect(((await shared.json()) as { message: string }).message).toMatch(/shared with Ann/);

    ollama.reply({ toolCalls: [{ name: 'calendar_add', arguments: { title: 'Grandma visits', start: '2026-12-19T15:00', calendar: 'household' } }] }, 'Added to the household calendar.');
    expect(await say(h, annDm, ann, 'put grandma in the family calendar on the 19th at 3')).toBe('Added to the household calendar.');
    ollama.reply({ toolCalls: [{ name: 'calendar_events', arguments: { from: '2026-12-19T00:00', to: '2026-12-20T00:00' } }] }, 'Grandma visits at 3.');
    await say(h, annDm, ann, 'what is on the 19th?');
    expect(toolResult(ollama.chatRequests.length - 1)).toMatch(/Sat 19 Dec 2026 15:00–16:00 "Grandma visits" \(household calendar\)/);

    // Bob is not among the people it is shared with.
    ollama.reply({ toolCalls: [{ name: 'calendar_events', arguments: { from: '2026-12-19T00:00', to: '2026-12-20T00:00' } }] }, 'Nothing.');
    await say(h, bobDm, bob, 'what is on the 19th?');
    expect(toolResult(ollama.chatRequests.length - 1)).not.toContain('Grandma');
  });
});
