/**
 * The capabilities this Hearth is built with, in the order their stages and commands apply.
 * Each lives in its own folder and plugs in through the Feature interface.
 */
import type { FeatureFactory } from './pipeline/feature.ts';
import { memoryFeature } from './memory/feature.ts';
import { accessFeature } from './access/feature.ts';
import { backupFeature } from './backup/feature.ts';
import { mcpFeature } from './mcp/feature.ts';
import { connectionsFeature } from './vault/feature.ts';
import { calendarFeature } from './calendar/feature.ts';
import { mailFeature } from './mail/feature.ts';
import { scheduleFeature } from './schedule/feature.ts';
import { webFeature } from './web/feature.ts';

export const features: FeatureFactory[] = [accessFeature, memoryFeature, connectionsFeature, calendarFeature, mailFeature, mcpFeature, scheduleFeature, backupFeature, webFeature];
