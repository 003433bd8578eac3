import { calculate } from './calculate.ts';
import { currentTime } from './current-time.ts';

export const builtinTools = [currentTime, calculate];
