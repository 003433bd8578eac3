/**
 * The shape every pipeline stage shares, after grammY's middleware: `(turn, next) => Promise<void>`.
 * A stage either calls `next()` to let the message go on, or settles the turn's outcome itself.
 */
import type { Adapter, InboundMessage } from '../core/index.ts';
import type { Decision, Person, Sender } from '../access/types.ts';
import type { Permissions } from '../tools/permissions.ts';
import type { Logger } from '../log.ts';
import type { TurnOrigin } from './origin.ts';

/** done: answered · ignored: not for us · refused: unknown sender · limited: rate limit · retry: try again later · failed: gave up */
export type Outcome = 'done' | 'ignored' | 'refused' | 'limited' | 'retry' | 'failed';

export type ReplyKind = 'reply' | 'apology' | 'notice';

/** A message this turn adds to the conversation's stored history (the question, the answer). */
export interface HistoryLine {
  role: 'user' | 'assistant';
  personId: string | null;
  authorName: string | null;
  content: string;
  /** A user message's per-turn note, as it was sent. */
  note?: string | null;
}

export interface TurnContext {
  readonly journalId: number;
  /** 1 on the first try, 2 on the first retry… */
  readonly attempt: number;
  readonly message: InboundMessage;
  readonly conversationKey: string;
  readonly adapter: Adapter;
  readonly log: Logger;
  /** The user has already been told the model is unavailable for this message. */
  readonly apologized: boolean;
  /** The clock reading this turn runs at: the prompt, tools and timers agree on "now". */
  readonly now: Date;
  /** Set when no platform sent this message (a routine firing): identify takes the person from it. */
  readonly origin?: TurnOrigin;
  /** Who sent it as read with the claim (null: nobody holds the account); identify starts from it. */
  readonly claimedSender?: Sender | null;
  /** Set by the identify stage. */
  person?: Person;
  /** The sender's own tool grants, read with the sender in one statement (the claim's, or People.findSender). */
  grants?: Record<string, Decision>;
  /**
   * The sender's tool permissions, set by the access feature from the identified sender. A turn
   * without them may use no tool: nothing falls back to an open default.
   */
  permissions?: Permissions;
  /** The sender's IANA time zone (their own, or the household's), set by identify. */
  timeZone: string;
  /**
   * How the turn ended. A stage that stops the chain sets it; when none did, the turn counts as
   * done if it produced replies and as ignored if it did not.
   */
  outcome?: Outcome;
  /** Texts to deliver, in order; written to the outbox with the outcome in one transaction. */
  replies: Array<{ kind: ReplyKind; text: string }>;
  /**
   * History to store, in order; written with the outcome in the same statement, so a turn costs
   * no round trip of its own for it, and a turn another process took over stores nothing.
   */
  history?: HistoryLine[];
  /** The streaming preview message, which the first chunk of the final reply replaces. */
  previewMessageId?: string;
  /** When outcome is 'retry': why, for the journal row and the log. */
  error?: Error;
  /** Milliseconds from receipt to the first model call, for metrics. */
  modelStartedAt?: number;
}

/** The person a stage after identify works for; a stage placed before identify is a wiring bug. */
export function senderOf(turn: TurnContext): Person {
  if (!turn.person) throw new Error('this stage needs the sender, but it ran before the identify stage');
  return turn.person;
}

export function outcomeOf(turn: TurnContext): Outcome {
  return turn.outcome ?? (turn.replies.length ? 'done' : 'ignored');
}

export type Next = () => Promise<void>;
export type Stage = (turn: TurnContext, next: Next) => Promise<void>;

/** Runs stages in order. Calling `next` twice would run the rest of the chain (and the model) twice: refused loudly. */
export function compose(stages: Stage[]): (turn: TurnContext) => Promise<void> {
  return (turn) => {
    let reached = -1;
    const dispatch = async (index: number): Promise<void> => {
      if (index <= reached) throw new Error(`a pipeline stage called next() twice (stage ${index - 1})`);
      reached = index;
      const stage = stages[index];
      if (stage) await stage(turn, () => dispatch(index + 1));
    };
    return dispatch(0);
  };
}

export function conversationKeyOf(message: Pick<InboundMessage, 'platform' | 'conversation'>): string {
  const { platform, conversation } = message;
  return conversation.threadId ? `${platform}:${conversation.id}:${conversation.threadId}` : `${platform}:${conversation.id}`;
}
