/**
 * The capabilities this Hearth is built with, in the order their stages and commands apply.
 * Each lives in its own folder and plugs in through the Feature interface.
 */
import type { FeatureFactory } from './pipeline/feature.ts';
import { memoryFeature } from './memory/feature.ts';
import { accessFeature } from './access/feature.ts';

export const features: FeatureFactory[] = [accessFeature, memoryFeature];
