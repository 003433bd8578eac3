/**
 * Which calendars a person's tools may touch: their own, and the household calendar when the
 * owner configured one and shares it with them (the owner always sees it). Decided from the
 * sender of the turn, never from the model's arguments: "Ann's calendar" is not a parameter.
 */
import type { Person } from '../access/types.ts';
import type { Connections } from '../vault/connections.ts';
import { accountProblem, notConnected } from '../vault/problems.ts';
import type { CalendarAccount } from './client.ts';

export type CalendarChoice = 'mine' | 'household';

export interface OpenedCalendar {
  which: CalendarChoice;
  account: CalendarAccount;
}

export class Calendars {
  private readonly vault: Connections;
  private readonly timeoutMs: number;

  constructor(vault: Connections, timeoutMs: number) {
    this.vault = vault;
    this.timeoutMs = timeoutMs;
  }

  async mayUseHousehold(person: Person): Promise<boolean> {
    if (!(await this.vault.settings('household', 'calendar'))) return false;
    return person.role === 'owner' || (await this.vault.householdSharedWith()).includes(person.id);
  }

  /** The calendars this person has, without logging in (for the prompt-free checks). */
  async available(person: Person): Promise<CalendarChoice[]> {
    const list: CalendarChoice[] = [];
    if (await this.vault.settings({ personId: person.id }, 'calendar')) list.push('mine');
    if (await this.mayUseHousehold(person)) list.push('household');
    return list;
  }

  async open(person: Person, which: CalendarChoice, signal?: AbortSignal): Promise<OpenedCalendar> {
    const holder = which === 'household' ? 'household' : { personId: person.id };
    if (which === 'household' && !(await this.mayUseHousehold(person))) {
      throw notConnected('calendar', 'The household calendar is not set up or not shared with this person; the owner shares it with `hearth connect calendar --household --share NAME`. This person');
    }
    let credentials;
    try {
      credentials = await this.vault.credentials(holder, 'calendar');
    } catch (error) {
      throw accountProblem('calendar', error, '');
    }
    if (!credentials) throw notConnected('calendar');
    // The CalDAV and iCalendar libraries load with the first calendar opened, not with Hearth.
    const { CalendarAccount } = await import('./client.ts');
    return { which, account: await CalendarAccount.open({ ...credentials, signal, timeoutMs: this.timeoutMs }) };
  }

  /** Every calendar of the person, opened; throws when they have none. */
  async openAll(person: Person, signal?: AbortSignal): Promise<OpenedCalendar[]> {
    const which = await this.available(person);
    if (which.length === 0) throw notConnected('calendar');
    return Promise.all(which.map((w) => this.open(person, w, signal)));
  }
}
