/**
 * `${NAME}` in a server's env, args, url or headers is read from Hearth's environment (or .env)
 * when the server starts, so tokens stay out of the config file. Every value that came from such
 * a reference, every header value and every env value whose name says it is secret
 * (GITHUB_TOKEN) is registered with the log scrubber: it may reach the
 * server, never a log line, an audit record or the model.
 */
import { registerSecrets } from '../log.ts';
import { isSecretName } from '../audit/redact.ts';
import type { McpServerConfig } from './config.ts';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class MissingVariableError extends Error {
  override name = 'MissingVariableError';
}

/** The server's settings with references replaced; throws naming the key and the variable. */
export function resolveReferences(server: string, config: McpServerConfig, env: NodeJS.ProcessEnv = process.env): McpServerConfig {
  const secrets: string[] = [];
  const expand = (text: string, key: string, secret = false): string => {
    const value = text.replace(REFERENCE, (_, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') {
        throw new MissingVariableError(`the MCP server "${server}" uses \${${name}} in ${key}, and ${name} is not set. Fix: put ${name}=… in .env (or Hearth's environment) and restart, or remove it from the server's settings.`);
      }
      secrets.push(found);
      return found;
    });
    if (secret) secrets.push(value);
    return value;
  };
  // Header values are credentials as a rule; an env value is one when its name says so (GITHUB_TOKEN).
  const map = (values: Record<string, string>, key: string, secret = false) => Object.fromEntries(Object.entries(values).map(([name, value]) => [name, expand(value, `${key}.${name}`, secret || isSecretName(name))]));
  const resolved: McpServerConfig =
    config.transport === 'http'
      ? { ...config, url: expand(config.url, 'url'), headers: map(config.headers, 'headers', true) }
      : { ...config, command: expand(config.command, 'command'), args: config.args.map((arg, i) => expand(arg, `args[${i}]`)), env: map(config.env, 'env') };
  registerSecrets(secrets);
  return resolved;
}
