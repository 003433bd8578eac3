/**
 * rate-limiter-flexible's in-memory limiter, the only one Hearth uses. The package's index loads
 * every store it supports (Redis, Mongo, DynamoDB, SQL, … 36 modules, about 1.5 MB resident in an
 * idle Hearth); its files are loaded directly instead, with the package's own types.
 */
import { createRequire } from 'node:module';
import type { RateLimiterMemory as Memory, RateLimiterRes as Result } from 'rate-limiter-flexible';

const require = createRequire(import.meta.url);

export const RateLimiterMemory: typeof Memory = require('rate-limiter-flexible/lib/RateLimiterMemory.js');
export const RateLimiterRes: typeof Result = require('rate-limiter-flexible/lib/RateLimiterRes.js');
export type RateLimiterMemory = Memory;
export type RateLimiterRes = Result;
