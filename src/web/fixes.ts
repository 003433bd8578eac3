/**
 * What to do about an error the status page shows, in plain words. Errors come from turns that
 * failed (the journal), replies that could not be delivered (the outbox) and adapters that are
 * down; the wording of the fix follows the settings and commands the person already knows.
 */
import type { Config } from '../config/types.ts';

const TOKENS: Record<string, string> = { telegram: 'TELEGRAM_BOT_TOKEN', discord: 'DISCORD_BOT_TOKEN', matrix: 'MATRIX_ACCESS_TOKEN' };

export function fixFor(error: string, config: Config, platform?: string): string {
  const text = error.toLowerCase();
  if (/model .*not found|pull the model|try pulling/.test(text)) return `Pull the model on the Ollama machine: \`ollama pull ${config.ollama.model}\` (and \`ollama pull ${config.ollama.embedModel}\`), or run \`hearth setup\`.`;
  if (/ollama|econnrefused|fetch failed|model.*(unreachable|unavailable)|enotfound|socket hang up/.test(text)) return `Start Ollama (\`ollama serve\`) or point OLLAMA_HOST at it (now ${config.ollama.host}); Hearth retries the waiting messages by itself.`;
  if (/timed? ?out|timeout|abort/.test(text)) return 'The model answered too slowly: choose a smaller OLLAMA_MODEL, or raise OLLAMA_FIRST_TOKEN_TIMEOUT_MS / OLLAMA_TURN_TIMEOUT_MS.';
  if (/\b401\b|\b403\b|unauthori[sz]ed|forbidden|invalid token|not logged in|m_unknown_token/.test(text)) return `The platform refused the bot's credentials: check ${platform ? (TOKENS[platform] ?? 'its token') : 'the bot token'} and run \`hearth doctor\`.`;
  if (/\b429\b|rate.?limit|too many requests/.test(text)) return 'The platform is limiting how fast the bot may send; Hearth waits and retries by itself.';
  if (/chat not found|unknown channel|not in (the )?room|bot was blocked|forbidden: bot/.test(text)) return 'The bot can no longer reach that conversation (removed, blocked or left); nothing to do unless that is a mistake.';
  if (/database|postgres|pglite|connection terminated/.test(text)) return 'Check the database: `hearth doctor` says whether it is reachable and migrated.';
  return 'Run `hearth doctor` for a full check; Hearth\'s log has the details.';
}
