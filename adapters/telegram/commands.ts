/**
 * Registers Hearth's chat commands with Telegram (the "/" menu) once, not on every start: the
 * list's hash is kept in adapter state and setMyCommands is called only when it changes.
 */
import { createHash } from 'node:crypto';
import type { Api } from 'grammy';
import type { AdapterContext, BotCommand } from '../../src/core/index.ts';
import { apiSignal } from './api.ts';
import { describe } from './errors.ts';

const STATE_KEY = 'commands.hash';
/** https://core.telegram.org/bots/api#botcommand: 1–32 of a-z, 0-9, _; description 1–256. */
const COMMAND_NAME = /^[a-z0-9_]{1,32}$/;

export async function registerCommands(api: Api, context: AdapterContext, signal: AbortSignal): Promise<void> {
  const commands = telegramCommands(context.commands, context);
  const hash = createHash('sha256').update(JSON.stringify(commands)).digest('hex');
  if ((await context.state.get<string>(STATE_KEY)) === hash) return;
  try {
    await api.setMyCommands(commands, {}, apiSignal(signal));
    await context.state.set(STATE_KEY, hash);
    context.log.info({ commands: commands.map((c) => c.command) }, 'registered Telegram bot commands');
  } catch (error) {
    // The menu is a convenience; a failure here must not keep the bot from answering.
    context.log.warn({ error: describe(error) }, 'could not register Telegram bot commands; will try again at next start');
  }
}

function telegramCommands(commands: BotCommand[], context: AdapterContext): Array<{ command: string; description: string }> {
  const out: Array<{ command: string; description: string }> = [];
  for (const { name, description } of commands) {
    const command = name.replace(/^\//, '').toLowerCase();
    if (!COMMAND_NAME.test(command)) {
      context.log.warn({ command: name }, 'Telegram allows only a-z, 0-9 and _ in command names (max 32); not registering it');
      continue;
    }
    out.push({ command, description: (description.trim() || command).slice(0, 256) });
  }
  return out;
}
