/**
 * Firing due reminders and routines, exactly once. Each check claims due rows (SKIP LOCKED plus
 * a lease), works out where each goes, and then, in one transaction, queues the message in the
 * outbox and moves the row to its next time, guarded by the lease token: a second gateway never
 * takes the same row, and a process that dies before that commit leaves the row to be claimed
 * again when its lease runs out. A routine's turn is journaled under an id per occurrence, so
 * even a retried firing starts it once. A platform that cannot be reached leaves the row to be
 * tried again shortly; the outbox retries a message the platform refuses to take for now.
 */
import { outbox } from '../db/schema.ts';
import { outboxRows } from '../pipeline/outbox.ts';
import { conversationKeyOf } from '../pipeline/context.ts';
import type { FeatureDependencies } from '../pipeline/feature.ts';
import { localTime } from '../time/format.ts';
import { destinationOf, type Destination } from './reach.ts';
import type { Reminder, ReminderStore } from './store.ts';
import { nextOccurrence } from './when.ts';

/** How long a claim holds before another gateway may take the row. */
export const LEASE_MS = 2 * 60_000;
/** A platform that could not be reached is tried again this much later. */
const RETRY_MS = 60_000;
/** Firing later than this after the due time is called late (checks run every few seconds). */
const LATE_AFTER_MS = 2 * 60_000;

type Claimed = Reminder & { leaseToken: string };

export class ReminderFiring {
  private readonly deps: FeatureDependencies;
  private readonly store: ReminderStore;

  constructor(deps: FeatureDependencies, store: ReminderStore) {
    this.deps = deps;
    this.store = store;
  }

  /** Fires everything due now; returns how many fired. */
  async fireDue(): Promise<number> {
    let fired = 0;
    for (;;) {
      const claimed = await this.store.claimDue(this.deps.clock.now(), LEASE_MS);
      if (claimed.length === 0) return fired;
      for (const reminder of claimed) if (await this.fireOne(reminder)) fired++;
    }
  }

  private async fireOne(reminder: Claimed): Promise<boolean> {
    const now = this.deps.clock.now();
    let destination: Destination | undefined;
    try {
      destination = await destinationOf(this.deps, reminder);
    } catch (error) {
      this.deps.log.warn({ err: error, reminder: reminder.id }, `could not open a chat to deliver reminder ${reminder.id}; trying again in a minute`);
    }
    if (!destination) {
      // Not reachable from this process now: another gateway, or this one a minute later, tries again.
      await this.store.release(reminder, new Date(now.getTime() + RETRY_MS));
      return false;
    }

    const lateMs = now.getTime() - reminder.nextAt.getTime();
    const missed = lateMs > this.deps.config.schedule.graceMs;
    const late = lateMs > LATE_AFTER_MS;
    const next = reminder.repeat ? nextOccurrence(reminder.repeat, reminder.timeZone, now) : undefined;
    const status = reminder.repeat && next ? 'active' : missed ? 'missed' : 'done';
    const runRoutine = reminder.kind === 'routine' && !missed;

    if (runRoutine) {
      const account = destination.addressee;
      if (!account) {
        await this.store.release(reminder, new Date(now.getTime() + RETRY_MS));
        return false;
      }
      await this.deps.enqueue({
        id: `routine:${reminder.id}:${reminder.nextAt.toISOString()}`,
        personId: reminder.personId,
        jobId: String(reminder.id),
        platform: destination.platform,
        conversation: destination.conversation,
        accountId: account.accountId,
        displayName: account.displayName,
        text: reminder.text,
        at: now,
      });
    }

    const notice = runRoutine ? undefined : await this.noticeText(reminder, { late, missed, next });
    const settled = await this.store.transaction(async (tx) => {
      if (!(await this.store.settle(tx, reminder, { nextAt: next, status, firedAt: now }))) return false;
      if (notice) {
        const adapter = this.deps.adapters.get(destination.platform);
        const rows = outboxRows(
          { journalId: null, platform: destination.platform, conversationKey: conversationKeyOf(destination), conversation: destination.conversation, kind: 'notice', text: notice, replyToMessageId: destination.replyToMessageId, addressee: destination.addressee },
          adapter?.capabilities.maxMessageLength ?? 2000,
        );
        await tx.insert(outbox).values(rows);
      }
      return true;
    });
    if (!settled) return false; // another gateway took over after our lease ran out

    await this.deps.audit.record({
      kind: missed ? `${reminder.kind}.missed` : `${reminder.kind}.fired`,
      actorPersonId: reminder.personId,
      platform: destination.platform,
      subject: String(reminder.id),
      detail: { due: reminder.nextAt.toISOString(), late, next: next?.toISOString() ?? null },
    });
    this.deps.log.info({ reminder: reminder.id, kind: reminder.kind, late, missed }, `${reminder.kind} ${reminder.id} ${missed ? 'was missed' : 'fired'}`);
    return true;
  }

  private async noticeText(reminder: Reminder, state: { late: boolean; missed: boolean; next?: Date }): Promise<string> {
    const due = localTime(reminder.nextAt, reminder.timeZone);
    const from = reminder.createdBy !== reminder.personId ? (await this.deps.people.get(reminder.createdBy))?.displayName : undefined;
    const name = reminder.conversation?.kind === 'group' ? (await this.deps.people.get(reminder.personId))?.displayName : undefined;
    const after = state.next ? `\nNext time: ${localTime(state.next, reminder.timeZone)}.` : '';
    if (state.missed) {
      const what = reminder.kind === 'routine' ? `your routine "${reminder.text}"` : `a reminder${from ? ` from ${from}` : ''}: "${reminder.text}"`;
      return `${name ? `${name}, ` : ''}I was not running at ${due}, so I missed ${what}.${after}`;
    }
    const head = `⏰ ${name ? `${name}, ` : ''}${from ? `a reminder from ${from}` : 'reminder'}: ${reminder.text}`;
    return state.late ? `${head}\n(Late: this was due at ${due}; I was not running then.)${after}` : head;
  }
}
