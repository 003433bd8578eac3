/**
 * What every step of `hearth setup` shares: the flags, whether a person is at the keyboard,
 * what is configured already (so a second run starts from it), and how to talk to the person.
 */
import { styleText } from 'node:util';
import type { Document } from 'yaml';

export interface SetupFlags {
  /** Never ask: take flags, then the environment, then what is configured, then the recommendation. */
  nonInteractive?: boolean;
  ollamaHost?: string;
  model?: string;
  embedModel?: string;
  /** false: do not download models. */
  pull: boolean;
  telegramToken?: string;
  telegramApiRoot?: string;
  discordToken?: string;
  discordApiBase?: string;
  matrixHomeserver?: string;
  matrixToken?: string;
  /** Claim the owner at the end (asked when interactive; off by default when not). */
  claim?: boolean;
}

export interface SetupContext {
  flags: SetupFlags;
  interactive: boolean;
  configFile: string;
  envFile: string;
  /** hearth.config.yaml as it is now (comments and all). */
  doc: Document;
  /** .env as it is now. */
  env: Record<string, string>;
  /** Aborted by Ctrl-C while something other than a prompt waits. */
  signal: AbortSignal;
  say(text?: string): void;
}

/** A setting as configured now: the real environment wins, then .env, then the config file. */
export function current(context: SetupContext, path: string, envName: string): string | undefined {
  const value = process.env[envName] || context.env[envName] || context.doc.getIn(path.split('.'));
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

export const good = (text: string): string => `${styleText('green', '✓')} ${text}`;
export const bad = (text: string): string => `${styleText('red', '✗')} ${text}`;
export const note = (text: string): string => `${styleText('yellow', '!')} ${text}`;
export const heading = (text: string): string => `\n${styleText('bold', text)}`;

/** A step that could not be done without a person to ask; setup stops before writing anything. */
export class SetupStopped extends Error {
  override name = 'SetupStopped';
}
