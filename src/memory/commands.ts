/**
 * The chat side of memory governance: /remember, /memories, /forget. Answered by Hearth itself
 * (no model involved), always from the sender's person and this conversation.
 */
import type { AuditLog } from '../audit/audit.ts';
import type { Person } from '../access/people.ts';
import { senderOf, type TurnContext } from '../pipeline/context.ts';
import type { ChatCommand } from '../pipeline/stages/commands.ts';
import type { MemoryScope } from './schema.ts';
import { MemoryRejectedError, type Memory, type MemoryStore } from './store.ts';
import { isVisibleTo, mayForget, mayWrite, type Viewer } from './privacy.ts';
import { recordForgotten } from './governance.ts';

const SCOPE_WORDS: Record<string, MemoryScope> = { me: 'person', private: 'person', mine: 'person', room: 'room', here: 'room', chat: 'room', household: 'household', home: 'household', everyone: 'household' };

export const SCOPE_NAMES: Record<MemoryScope, string> = { person: 'only for you', room: 'for this chat', household: 'for the whole household' };

export function viewerOf(turn: TurnContext): Viewer {
  const person = senderOf(turn);
  return { personId: person.id, role: person.role, roomKey: turn.conversationKey, direct: turn.message.conversation.kind === 'direct' };
}

/** "household: bins go out on Tuesday" → household scope; no prefix → private to the sender. */
export function parseRemember(args: string): { scope: MemoryScope; text: string } {
  const match = /^(\w+)\s*:\s*([\s\S]*)$/.exec(args);
  const scope = match ? SCOPE_WORDS[match[1]!.toLowerCase()] : undefined;
  return scope ? { scope, text: match![2]! } : { scope: 'person', text: args };
}

export interface StoreMemoryInput {
  turn: { person: Person; conversationKey: string; journalId?: number | null };
  text: string;
  scope: MemoryScope;
}

/** Shared by /remember and the remember tool: the owner of a private memory is always the sender. */
export async function rememberFor(store: MemoryStore, input: StoreMemoryInput): Promise<string> {
  const person = input.turn.person;
  if (!mayWrite(input.scope, person.role)) throw new MemoryRejectedError(`Guests can only ask me to remember things for themselves, not ${SCOPE_NAMES[input.scope]}.`);
  const { memory, duplicate, embedded } = await store.add({
    text: input.text,
    scope: input.scope,
    personId: input.scope === 'person' ? person.id : null,
    roomKey: input.scope === 'room' ? input.turn.conversationKey : null,
    createdBy: person.id,
    sourceJournalId: input.turn.journalId ?? null,
  });
  if (duplicate) return `I already remember that (#${memory.id}).`;
  const later = embedded ? '' : " My search index is offline right now; it's saved and will be searchable once it's back.";
  return `Got it — I'll remember that ${SCOPE_NAMES[input.scope]} (#${memory.id}).${later}`;
}

export function memoryCommands(store: MemoryStore, audit: AuditLog): ChatCommand[] {
  return [
    {
      name: 'remember',
      description: 'Remember something (prefix with "household:" or "room:" to share it)',
      async run(turn, args) {
        if (!args.trim()) return 'Tell me what to remember, e.g. "/remember I prefer tea to coffee" or "/remember household: the bins go out on Tuesday".';
        const { scope, text } = parseRemember(args);
        try {
          return await rememberFor(store, { turn: { person: senderOf(turn), conversationKey: turn.conversationKey, journalId: turn.journalId }, text, scope });
        } catch (error) {
          if (error instanceof MemoryRejectedError) return error.message;
          throw error;
        }
      },
    },
    {
      name: 'memories',
      description: 'What I remember about you',
      async run(turn) {
        const viewer = viewerOf(turn);
        const group = turn.message.conversation.kind === 'group';
        const list = (memories: Memory[]) => memories.map((m) => `#${m.id} ${m.text}`);
        const sections: string[] = [];
        if (!group) {
          const mine = await store.listVisible(viewer, { scopes: ['person'], limit: 50 });
          sections.push(mine.length ? ['Only for you:', ...list(mine)].join('\n') : "I don't remember anything private about you yet. Ask me to remember something, or use /remember.");
        }
        const room = await store.listVisible(viewer, { scopes: ['room'], limit: 20 });
        if (room.length) sections.push(['For this chat:', ...list(room)].join('\n'));
        const household = await store.listVisible(viewer, { scopes: ['household'], limit: 20 });
        if (household.length) sections.push(['For the whole household:', ...list(household)].join('\n'));
        if (group) sections.push(sections.length ? 'Your private memories are not shown in a group; send me /memories in a direct chat to see them.' : 'Nothing is remembered for this chat. Your private memories are not shown in a group; send me /memories in a direct chat to see them.');
        else sections.push('To delete one: /forget <number> (or /forget followed by words from it).');
        return sections.join('\n\n');
      },
    },
    {
      name: 'forget',
      description: 'Delete a memory: /forget <number or words>',
      async run(turn, args) {
        const person = senderOf(turn);
        const viewer = viewerOf(turn);
        const query = args.trim();
        if (!query) return 'Tell me which memory to delete: /forget <number> (see /memories), or /forget followed by words from it.';
        const byId = /^#?(\d{1,15})$/.exec(query);
        const forget = async (memory: Memory) => {
          await store.remove(memory.id);
          await recordForgotten(audit, memory, { actorPersonId: person.id, platform: turn.message.platform, via: 'chat' });
          return isVisibleTo(memory, viewer) ? `Forgotten: "${memory.text}" (#${memory.id}).` : `Forgotten: memory #${memory.id}.`;
        };
        if (byId) {
          const memory = await store.get(Number(byId[1]));
          // Someone else's private memory does not "exist" for anyone but its person and the owner.
          if (!memory || (!isVisibleTo(memory, viewer) && !mayForget(memory, person))) return `I have no memory #${byId[1]} that you can see. Send /memories to list yours.`;
          if (!mayForget(memory, person)) return `Memory #${memory.id} was saved by someone else; ask them or the owner to delete it.`;
          return forget(memory);
        }
        const found = await store.findVisible(viewer, query);
        const deletable = found.filter((m) => mayForget(m, person));
        if (found.length === 0) return `I found no memory containing "${query}". Send /memories to list them.`;
        if (deletable.length === 0) return `The memories containing "${query}" were saved by someone else; ask them or the owner to delete them.`;
        if (deletable.length > 1) return ['Several memories match; send /forget with the number of the one to delete:', ...deletable.map((m) => `#${m.id} ${m.text}`)].join('\n');
        return forget(deletable[0]!);
      },
    },
  ];
}
