/**
 * Where each person can be reached privately: the newest direct conversation per platform. An
 * approval request goes there, because in a group the wrong people would see it (and could
 * answer "yes"). Writes only when the conversation changes, not on every message.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { ConversationRef } from '../core/index.ts';
import type { Db } from '../db/client.ts';
import { directChats } from './schema.ts';

export interface Contact {
  platform: string;
  conversation: ConversationRef;
}

export class Contacts {
  private readonly db: Db;
  private readonly known = new Map<string, string>();
  constructor(db: Db) {
    this.db = db;
  }

  async remember(personId: string, platform: string, conversation: ConversationRef): Promise<void> {
    if (conversation.kind !== 'direct') return;
    const key = `${personId}|${platform}`;
    const value = JSON.stringify(conversation);
    if (this.known.get(key) === value) return;
    await this.db
      .insert(directChats)
      .values({ personId, platform, conversation })
      .onConflictDoUpdate({ target: [directChats.personId, directChats.platform], set: { conversation, updatedAt: new Date() } });
    this.known.set(key, value);
  }

  /** Newest first, only on the given platforms (those connected right now). */
  async of(personId: string, platforms: string[]): Promise<Contact[]> {
    if (platforms.length === 0) return [];
    const rows = await this.db
      .select({ platform: directChats.platform, conversation: directChats.conversation })
      .from(directChats)
      .where(and(eq(directChats.personId, personId), inArray(directChats.platform, platforms)))
      .orderBy(desc(directChats.updatedAt));
    return rows.map((row) => ({ platform: row.platform, conversation: row.conversation as ConversationRef }));
  }

  /** After two people were joined, cached rows may name the one that is gone. */
  forget(): void {
    this.known.clear();
  }
}
