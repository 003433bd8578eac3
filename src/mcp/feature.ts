/**
 * Tools from MCP servers as a gateway feature: the configured servers start with Hearth (each
 * stdio server in its sandbox), their tools join the one catalogue under the sender's grants
 * like any other tool, and they stop with Hearth. With no server configured it does nothing.
 */
import type { FeatureFactory } from '../pipeline/feature.ts';
import { McpServers } from './servers.ts';

export const mcpFeature: FeatureFactory = (deps) => {
  // Built at creation, so an offline catalogue (`hearth tools`) lists the servers as configured;
  // the SDK itself loads only when there is a server to start.
  const servers = new McpServers({ config: deps.config, catalog: deps.catalog, log: deps.log, restart: true });
  return {
    name: 'mcp',
    start: () => servers.start(),
    stop: () => servers.stop(),
  };
};
