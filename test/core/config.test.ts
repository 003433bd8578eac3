import { describe, expect, it } from 'vitest';
import { configFile, configProblems } from '../helpers/config-files.ts';
import { loadConfig } from '../../src/config/load.ts';

describe('configuration', () => {
  it('works with no file and no environment, with defaults suited to one box', () => {
    const config = loadConfig({ file: false, env: {} });
    expect(config.http).toEqual({ port: 8787, host: '127.0.0.1', bodyLimitBytes: 1024 * 1024 });
    expect(config.ollama.host).toBe('http://127.0.0.1:11434');
    expect(config.ollama.embedModel).toBe('nomic-embed-text');
    expect(config.dataDir).toBe('./data');
    expect(config.telegram).toBeUndefined();
  });

  it('reads the example file as shipped', () => {
    const config = loadConfig({ file: 'hearth.config.example.yaml', env: {} });
    expect(config.owner).toBe('telegram:123456789');
    expect(config.agent.name).toBe('Hearth');
  });

  it('lets the environment override the file', () => {
    const file = configFile('http:\n  port: 9000\nollama:\n  model: qwen2.5:3b\n');
    const config = loadConfig({ file, env: { HEARTH_HTTP_PORT: '9100' } });
    expect(config.http.port).toBe(9100);
    expect(config.ollama.model).toBe('qwen2.5:3b');
  });

  it('names the key, the bad value and the fix for every problem at once', () => {
    const problems = configProblems(() => loadConfig({ file: false, env: { HEARTH_HTTP_PORT: 'eighty', OLLAMA_HOST: 'localhost:11434', HEARTH_OWNER: 'just-a-name' } }));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/HEARTH_OWNER .*"just-a-name".*Fix: set it to platform:account pairs/);
    expect(problems[1]).toMatch(/HEARTH_HTTP_PORT .*"eighty".*Fix: set it to a TCP port number/);
    expect(problems[2]).toMatch(/OLLAMA_HOST .*"localhost:11434".*Fix: set it to http:\/\/127\.0\.0\.1:11434/);
  });

  it('masks secrets in error messages', () => {
    const token = 'not-a-telegram-token-but-secret-looking';
    const problems = configProblems(() => loadConfig({ file: false, env: { TELEGRAM_BOT_TOKEN: token } }));
    expect(problems.join('\n')).toMatch(/TELEGRAM_BOT_TOKEN/);
    expect(problems.join('\n')).not.toContain(token);
  });

  it('reports a wrong token once, not also as missing from the settings that need it', () => {
    const problems = configProblems(() =>
      loadConfig({ file: false, env: { TELEGRAM_BOT_TOKEN: 'bad', TELEGRAM_API_ROOT: 'http://127.0.0.1:8081', MATRIX_HOMESERVER_URL: 'https://m.example.org', MATRIX_USER_ID: '@hearth:example.org', MATRIX_ACCESS_TOKEN: 'short' } }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^TELEGRAM_BOT_TOKEN .*Fix: set it to the token from @BotFather/);
    expect(problems[1]).toMatch(/^MATRIX_ACCESS_TOKEN /);
  });

  it('refuses secrets in the config file and says where they belong', () => {
    const file = configFile('discord:\n  botToken: abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n');
    const problems = configProblems(() => loadConfig({ file, env: {} }));
    expect(problems[0]).toMatch(/"discord.botToken" is a secret .*DISCORD_BOT_TOKEN=… in \.env/);
    expect(problems[0]).not.toContain('abcdefghijklmnop');
  });

  it('points at unknown keys, broken YAML and half-configured platforms', () => {
    expect(configProblems(() => loadConfig({ file: configFile('olama:\n  host: x\n'), env: {} }))[0]).toMatch(/unknown key "olama.host"/);
    expect(configProblems(() => loadConfig({ file: configFile('http: [unclosed\n'), env: {} }))[0]).toMatch(/not valid YAML/);
    expect(configProblems(() => loadConfig({ file: false, env: { MATRIX_USER_ID: '@bot:example.org' } }))[0]).toMatch(/Matrix is half configured/);
    expect(configProblems(() => loadConfig({ file: '/nowhere/hearth.yaml', env: {} }))[0]).toMatch(/does not exist/);
  });
});
