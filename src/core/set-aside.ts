/**
 * Poison events. A platform event that still cannot be read or journaled after a few attempts is
 * set aside — recorded with its error and a short excerpt — so that the events after it flow:
 * an adapter that kept retrying it would hold back every later message on that platform.
 */
import type { AdapterContext, ReceiveOutcome } from './adapter.ts';
import type { InboundMessage } from './message.ts';
import { MalformedEventError } from './inbound-check.ts';

export interface SetAsideEvent {
  /** The platform's id for the event (update id, message id, event id), for the record. */
  eventId: string;
  error: string;
  /** The raw payload; the record keeps a bounded, storable excerpt of it. */
  payload: unknown;
}

export interface HandOverOptions {
  attempts?: number;
  /** Pause before the second attempt; doubles after each. */
  firstDelayMs?: number;
}

/**
 * Reads a platform payload into a message (`read`, once: reading it again gives the same
 * answer) and hands it to the pipeline (a few attempts: the database may hiccup). Resolves with
 * the outcome, 'ignored' when `read` found nothing for Hearth, or 'set-aside' once a failing event
 * is recorded. Rejects only when even that record could not be written (the database is down):
 * the adapter then keeps the event and tries again later, as before.
 */
export async function handOver(
  context: Pick<AdapterContext, 'receive' | 'setAside' | 'log'>,
  event: { eventId: string; payload: unknown },
  read: () => InboundMessage | undefined,
  options: HandOverOptions = {},
): Promise<ReceiveOutcome | 'ignored' | 'set-aside'> {
  let message: InboundMessage | undefined;
  try {
    message = read();
  } catch (error) {
    return setAside(context, event, error, error);
  }
  if (!message) return 'ignored';
  const attempts = options.attempts ?? 3;
  let delay = options.firstDelayMs ?? 100;
  let failure: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await context.receive(message);
    } catch (error) {
      failure = error;
      if (error instanceof MalformedEventError) break;
      if (attempt < attempts) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
  }
  return setAside(context, event, failure, failure);
}

async function setAside(context: Pick<AdapterContext, 'setAside' | 'log'>, event: { eventId: string; payload: unknown }, failure: unknown, rethrow: unknown): Promise<'set-aside'> {
  const message = describeFailure(failure);
  try {
    await context.setAside({ eventId: event.eventId, error: message, payload: event.payload });
  } catch {
    throw rethrow;
  }
  context.log.warn({ eventId: event.eventId, error: message }, 'set aside an event that could not be taken in; the ones after it continue');
  return 'set-aside';
}

function isError(value: unknown): value is Error {
  return value instanceof Error;
}

function describeFailure(error: unknown): string {
  if (!isError(error)) return `non-error thrown: ${String(error)}`.slice(0, 500);
  // A database error's message repeats the whole query with its parameters (the message text);
  // the cause says what went wrong.
  const cause = (error as { cause?: unknown }).cause;
  const detail = isError(cause) ? `${error.message.split('\nparams:')[0]!.slice(0, 200)}: ${cause.message}` : error.message;
  return `${error.name}: ${detail}`.slice(0, 500);
}
