/**
 * The shape every pipeline stage shares, after grammY's middleware: `(turn, next) => Promise<void>`.
 * A stage either calls `next()` to let the message go on, or settles the turn's outcome itself.
 */
import type { Adapter, InboundMessage } from '../core/index.ts';
import type { Person } from '../access/people.ts';
import type { Logger } from '../log.ts';

/** done: answered · ignored: not for us · refused: unknown sender · limited: rate limit · retry: try again later · failed: gave up */
export type Outcome = 'done' | 'ignored' | 'refused' | 'limited' | 'retry' | 'failed';

export type ReplyKind = 'reply' | 'apology' | 'notice';

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
  /** Set by the identify stage. */
  person?: Person;
  outcome: Outcome;
  /** Texts to deliver, in order; written to the outbox with the outcome in one transaction. */
  replies: Array<{ kind: ReplyKind; text: string }>;
  /** The streaming preview message, which the first chunk of the final reply replaces. */
  previewMessageId?: string;
  /** When outcome is 'retry': why, for the journal row and the log. */
  error?: Error;
  /** Milliseconds from receipt to the first model call, for metrics. */
  modelStartedAt?: number;
}

export type Next = () => Promise<void>;
export type Stage = (turn: TurnContext, next: Next) => Promise<void>;

export function compose(stages: Stage[]): (turn: TurnContext) => Promise<void> {
  return (turn) => {
    const dispatch = async (index: number): Promise<void> => {
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
