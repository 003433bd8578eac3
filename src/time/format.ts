/** How Hearth writes a moment for a person: their wall clock, with the zone named. */

/** "Wed 2 Dec 2026 14:05 (Europe/Berlin)", to the minute. */
export function localTime(at: Date, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(at);
  return `${text.replace(/,/g, '')} (${timeZone})`;
}
