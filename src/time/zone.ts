/**
 * Time zones by their IANA names. Hearth shows, parses and schedules every time in the person's
 * own zone (or the household's, HEARTH_TIMEZONE); the runtime's Intl data is the source of truth,
 * so daylight-saving changes follow the tz database Node ships with.
 */

/** True for a zone the runtime knows ("Europe/Berlin", "UTC"); "CEST" or "Berlin" are not zones. */
export function isTimeZone(name: string): boolean {
  if (!name || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone this machine is set to, or UTC when it says nothing usable (containers often do). */
export function systemTimeZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isTimeZone(zone) ? zone : 'UTC';
}

/** The canonical spelling of a zone the person typed ("europe/berlin" → "Europe/Berlin"). */
export function canonicalTimeZone(name: string): string | undefined {
  const trimmed = name.trim();
  if (!isTimeZone(trimmed)) return undefined;
  return new Intl.DateTimeFormat('en', { timeZone: trimmed }).resolvedOptions().timeZone;
}
