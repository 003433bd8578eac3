import type { Config } from '../../config/types.ts';
import type { ToolDefinition } from '../tool.ts';
import { calculate } from './calculate.ts';
import { currentTime } from './current-time.ts';
import { webFetchTool } from './web-fetch.ts';

/** Tools every Hearth has: the time and a calculator, and web_fetch unless the owner turned it off. */
export function builtinTools(config: Pick<Config, 'webFetch'>): ToolDefinition[] {
  return [currentTime, calculate, ...(config.webFetch.enabled ? [webFetchTool(config.webFetch)] : [])];
}
