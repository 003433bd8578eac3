/**
 * `hearth doctor` for Discord: checks the token, the Message Content intent and the gateway over
 * REST alone, so it never opens a gateway session (which would count against Discord's daily
 * session-start limit) and never receives messages.
 */
import { REST, Routes, DiscordAPIError } from 'discord.js';
import type { DoctorCheck } from '../../src/core/index.ts';
import { FIX_MESSAGE_CONTENT, FIX_TOKEN, toCoreError } from './errors.ts';

/** Application flags the Developer Portal's Message Content toggle sets (https://discord.com/developers/docs/resources/application#application-object-application-flags). */
const GATEWAY_MESSAGE_CONTENT = 1 << 19;
const GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 18;

interface GatewayBot {
  url: string;
  session_start_limit: { remaining: number; reset_after: number };
}

export async function discordDoctor(token: string, apiBase: string, timeoutMs: number): Promise<DoctorCheck[]> {
  if (!token) {
    return [{ name: 'discord token', ok: false, detail: 'DISCORD_BOT_TOKEN is empty', fix: FIX_TOKEN }];
  }
  const rest = new REST({ api: apiBase, version: '10', timeout: timeoutMs, retries: 0 }).setToken(token);
  try {
    return await runChecks(rest, apiBase);
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}

async function runChecks(rest: REST, apiBase: string): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];

  const me = await attempt(() => rest.get(Routes.user()) as Promise<{ id: string; username: string }>);
  if (!me.ok) {
    const unauthorized = me.error instanceof DiscordAPIError && me.error.status === 401;
    checks.push({
      name: 'discord token',
      ok: false,
      detail: unauthorized ? 'Discord refused the bot token' : describe(me.error, apiBase),
      fix: unauthorized ? FIX_TOKEN : `check that this machine can reach ${apiBase} (DISCORD_API_BASE)`,
    });
    return checks;
  }
  checks.push({ name: 'discord token', ok: true, detail: `valid for bot ${me.value.username} (${me.value.id})` });

  const app = await attempt(() => rest.get(Routes.currentApplication()) as Promise<{ flags?: number }>);
  if (app.ok) {
    const flags = app.value.flags ?? 0;
    const enabled = (flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED)) !== 0;
    checks.push(
      enabled
        ? { name: 'discord message content intent', ok: true, detail: 'enabled in the Developer Portal' }
        : { name: 'discord message content intent', ok: false, detail: 'not enabled: Hearth could not read messages', fix: FIX_MESSAGE_CONTENT },
    );
  } else {
    checks.push({ name: 'discord message content intent', ok: false, detail: `could not read the application: ${describe(app.error, apiBase)}`, fix: FIX_MESSAGE_CONTENT });
  }

  const gateway = await attempt(() => rest.get(Routes.gatewayBot()) as Promise<GatewayBot>);
  if (gateway.ok) {
    const { remaining, reset_after } = gateway.value.session_start_limit;
    checks.push(
      remaining > 0
        ? { name: 'discord gateway', ok: true, detail: `${gateway.value.url} (${remaining} session starts left today)` }
        : {
            name: 'discord gateway',
            ok: false,
            detail: 'no gateway session starts left for today',
            fix: `wait ${Math.ceil(reset_after / 60_000)} minutes; something restarted Hearth in a loop`,
          },
    );
  } else {
    checks.push({ name: 'discord gateway', ok: false, detail: describe(gateway.error, apiBase), fix: `check that this machine can reach ${apiBase}` });
  }
  return checks;
}

async function attempt<T>(call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error };
  }
}

function describe(error: unknown, apiBase: string): string {
  const mapped = toCoreError(error, `asking ${apiBase}`);
  return mapped.message;
}
