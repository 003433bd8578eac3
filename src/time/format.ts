/** How Hearth writes a moment for a person: their wall clock, with the zone named. */

// Building an Intl.DateTimeFormat costs about half a millisecond (ICU loads the zone and the
// locale's patterns) and every turn writes the time, so one is kept per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
    formatters.set(timeZone, found);
  }
  return found;
}

/** "Wed 2 Dec 2026 14:05 (Europe/Berlin)", to the minute. */
export function localTime(at: Date, timeZone: string): string {
  return `${formatter(timeZone).format(at).replace(/,/g, '')} (${timeZone})`;
}
