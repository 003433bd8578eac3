/**
 * The second way into the pipeline: a turn the clock starts (a routine firing) instead of a
 * platform event. It is written to the same journal as a message, under an id of its own per
 * occurrence, so the journal's dedupe, leases, retries and ordering apply unchanged; identify
 * takes the person from the origin instead of from a platform account, and permissions are
 * those the person has at that moment.
 */
import type { ConversationRef, InboundMessage } from '../core/index.ts';

/** Why a journaled message exists when no platform sent it. */
export interface TurnOrigin {
  kind: 'schedule';
  /** The person the turn runs as. */
  personId: string;
  /** The job that fired (a reminder or routine id), for the log and audit. */
  jobId: string;
}

export interface ScheduledTurn {
  /** Unique per occurrence, e.g. `routine:42:2027-01-05T07:30:00.000Z`: journaled once. */
  id: string;
  personId: string;
  jobId: string;
  platform: string;
  /** Where the answer goes (usually the person's direct chat). */
  conversation: ConversationRef;
  /** The person's account there, so replies address them (a mention in a group). */
  accountId: string;
  displayName: string;
  /** The instruction the model works on, as if the person had written it. */
  text: string;
  at: Date;
}

/** A journaled message, which may carry an origin; adapters never set one (receive strips it). */
export type JournalMessage = InboundMessage & { origin?: TurnOrigin };

export function scheduledMessage(turn: ScheduledTurn): JournalMessage {
  return {
    platform: turn.platform,
    eventId: turn.id,
    messageId: turn.id,
    conversation: turn.conversation,
    sender: { accountId: turn.accountId, displayName: turn.displayName },
    text: turn.text,
    // A routine speaks to Hearth directly, even when it answers in a group.
    mentionsBot: true,
    attachments: [],
    sentAt: turn.at.toISOString(),
    origin: { kind: 'schedule', personId: turn.personId, jobId: turn.jobId },
  };
}
