/**
 * Where a firing reminder goes. One set in a conversation comes back there (in a group as an
 * answer to the message that set it, so the platform mentions the person). One for someone else,
 * one asked for in private, and every routine go to the person's direct chat: the newest one
 * Hearth knows, or one the adapter opens with an account of theirs (Telegram, Discord, Matrix).
 */
import type { ConversationRef, Sender } from '../core/index.ts';
import type { FeatureDependencies } from '../pipeline/feature.ts';
import type { Reminder } from './store.ts';

export interface Destination {
  platform: string;
  conversation: ConversationRef;
  replyToMessageId?: string;
  /** The person's account there (a mention in a group; the sender of a routine's turn). */
  addressee?: Sender;
}

type Reach = Pick<FeatureDependencies, 'adapters' | 'contacts' | 'people'>;

/** Undefined when no connected platform can reach the person (yet); throws when a platform refuses or is down. */
export async function destinationOf(deps: Reach, reminder: Reminder): Promise<Destination | undefined> {
  if (reminder.platform && reminder.conversation) {
    if (!deps.adapters.has(reminder.platform)) return undefined;
    return { platform: reminder.platform, conversation: reminder.conversation, replyToMessageId: reminder.replyToMessageId ?? undefined, addressee: reminder.addressee ?? undefined };
  }
  return directChatOf(deps, reminder.personId);
}

export async function directChatOf(deps: Reach, personId: string): Promise<Destination | undefined> {
  const accounts = await deps.people.accountsOf(personId);
  const addresseeOn = (platform: string): Sender | undefined => {
    const account = accounts.find((a) => a.platform === platform);
    return account ? { accountId: account.accountId, displayName: account.displayName ?? account.accountId } : undefined;
  };
  const [known] = await deps.contacts.of(personId, [...deps.adapters.keys()]);
  if (known) return { platform: known.platform, conversation: known.conversation, addressee: addresseeOn(known.platform) };
  let failure: unknown;
  for (const account of accounts) {
    const adapter = deps.adapters.get(account.platform);
    if (!adapter?.openDirect) continue;
    try {
      const conversation = await adapter.openDirect(account.accountId);
      await deps.contacts.remember(personId, account.platform, conversation);
      return { platform: account.platform, conversation, addressee: addresseeOn(account.platform) };
    } catch (error) {
      failure = error; // another platform may still reach them
    }
  }
  if (failure) throw failure;
  return undefined;
}
