/**
 * Chat commands ("/help"). Answered by Hearth itself, without the model. Later stages (memory,
 * people) add their own commands to the same list, which adapters can register with platforms.
 */
import type { BotCommand } from '../../core/index.ts';
import type { Stage, TurnContext } from '../context.ts';

export interface ChatCommand extends BotCommand {
  run(turn: TurnContext, args: string): Promise<string>;
}

const COMMAND = /^\/([a-z][a-z0-9_]{0,31})(?:\s+([\s\S]*))?$/i;

export function parseCommand(text: string): { name: string; args: string } | undefined {
  const match = COMMAND.exec(text.trim());
  return match ? { name: match[1]!.toLowerCase(), args: (match[2] ?? '').trim() } : undefined;
}

export function helpCommands(agentName: string, list: () => ChatCommand[]): ChatCommand[] {
  const help: ChatCommand = {
    name: 'help',
    description: 'What I can do for you',
    async run(turn) {
      const lines = list()
        .filter((c) => c.name !== 'start')
        .map((c) => `/${c.name} — ${c.description}`);
      return [`I'm ${agentName}, ${turn.person?.displayName ?? 'friend'}. Just write to me${turn.message.conversation.kind === 'group' ? ' (mention me or reply to me in groups)' : ''} and I'll answer.`, '', 'Commands:', ...lines].join('\n');
    },
  };
  return [{ ...help, name: 'start', description: 'Say hello' }, help];
}

export function commands(list: () => ChatCommand[]): Stage {
  return async (turn, next) => {
    // A routine's instruction is for the model, even when it starts with a slash.
    const parsed = turn.origin ? undefined : parseCommand(turn.message.text);
    if (!parsed) return next();
    const command = list().find((c) => c.name === parsed.name);
    if (!command) {
      turn.replies.push({ kind: 'reply', text: `I don't know /${parsed.name}. Send /help to see what I can do.` });
      turn.outcome = 'done';
      return;
    }
    turn.replies.push({ kind: 'reply', text: await command.run(turn, parsed.args) });
    turn.outcome = 'done';
  };
}
