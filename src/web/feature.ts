/**
 * The web admin as a feature: its pages on Hearth's HTTP server (bound to 127.0.0.1 by default),
 * acting on the same people, grants, requests, memories and audit log as the chat commands and
 * the CLI, through the same operations.
 */
import type { FeatureFactory } from '../pipeline/feature.ts';
import { accessFor } from '../access/feature.ts';
import { webRoutes } from './routes.ts';

export const webFeature: FeatureFactory = (deps) => {
  const access = accessFor(deps);
  return {
    name: 'web',
    routes: (app) => webRoutes(app, { access, clock: deps.clock, health: deps.health, features: deps.features }),
  };
};
