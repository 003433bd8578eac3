/**
 * The pure parts: secret masking, and the policy settings as an owner writes them.
 */
import { describe, expect, it } from 'vitest';
import { MASK, describeArguments, redact, redactText } from '../../src/audit/redact.ts';
import { parseRoleNames, parseRoleTools, parseUnknownSenderRules, effectiveDecision, roleFromName, unknownSenderPolicy, atLeast } from '../../src/access/policy.ts';
import { loadConfig } from '../../src/config/load.ts';

describe('secret masking', () => {
  it('masks values under secret-sounding keys, at any depth', () => {
    const masked = redact({ to: 'Ann', password: 'hunter2', nested: { apiKey: 'abc', authorization: 'Bearer x', list: [{ client_secret: 's' }] }, monkey: 'banana', keyboard: 'qwerty' });
    expect(masked).toEqual({ to: 'Ann', password: MASK, nested: { apiKey: MASK, authorization: MASK, list: [{ client_secret: MASK }] }, monkey: 'banana', keyboard: 'qwerty' });
  });

  it('masks values that look like credentials whatever their key', () => {
    for (const secret of ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'sk-proj-abcdefghijklmnop1234', 'AKIAABCDEFGHIJKLMNOP', '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', 'Bearer abc.def', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbg']) {
      expect(redact({ text: secret })).toEqual({ text: MASK });
    }
    expect(redactText('use key x7Gq2Lm9Pz4Rt8Wv1Ks5Yb3 for the door')).toBe(`use key ${MASK} for the door`);
    expect(redactText('https://me:pa55word@example.org/x?token=abc&page=2')).toBe(`https://me:${MASK}@example.org/x?token=${MASK}&page=2`);
  });

  it('leaves ordinary text, numbers and URLs alone', () => {
    const plain = { text: 'Dinner at 7, bring 2 bottles', url: 'https://example.org/recipes/lasagne-2024', count: 3, ok: true };
    expect(redact(plain)).toEqual(plain);
  });

  it('honours names a tool declares secret', () => {
    expect(redact({ pin_hint: 'blue', door: '1234' }, ['door'])).toEqual({ pin_hint: 'blue', door: MASK });
    expect(describeArguments({ to: 'Ann', token: MASK })).toBe(`to: "Ann", token: ${MASK}`);
  });
});

describe('policy settings', () => {
  it('parses role defaults by risk, with per-tool exceptions', () => {
    const member = parseRoleTools('read=allow, write=allow, external=ask, send_email=deny');
    const decide = (tool: Parameters<typeof effectiveDecision>[3], grants = {}) => effectiveDecision('member', member, grants, tool).decision;
    expect(decide({ name: 'calculate', risk: 'read' })).toBe('allow');
    expect(decide({ name: 'post_tweet', risk: 'external' })).toBe('ask');
    expect(decide({ name: 'send_email', risk: 'external' })).toBe('deny');
    expect(() => parseRoleTools('read=maybe')).toThrow();
    expect(atLeast('allow', 'ask') && atLeast('ask', 'deny') && !atLeast('deny', 'ask')).toBe(true);
  });

  it('decides by the most specific rule: own grant (tool, group, risk), role rule (tool, group), the tool\'s own default, the role default', () => {
    const member = parseRoleTools('read=allow,write=allow,external=ask,mcp:home:*=deny');
    const guest = parseRoleTools('read=allow,write=deny,external=deny');
    const calendar = { name: 'calendar_list', risk: 'read' as const, group: 'calendar', defaultDecision: { guest: 'deny' as const } };
    const lights = { name: 'home_lights', risk: 'write' as const, group: 'mcp:home' };
    expect(effectiveDecision('guest', guest, {}, calendar)).toEqual({ decision: 'deny', source: 'tool' });
    expect(effectiveDecision('member', member, {}, calendar)).toEqual({ decision: 'allow', source: 'role' });
    expect(effectiveDecision('member', member, {}, lights)).toEqual({ decision: 'deny', source: 'role' });
    expect(effectiveDecision('member', member, { 'mcp:home:*': 'ask' }, lights)).toEqual({ decision: 'ask', source: 'grant' });
    expect(effectiveDecision('member', member, { 'mcp:home:*': 'ask', home_lights: 'allow' }, lights)).toEqual({ decision: 'allow', source: 'grant' });
    expect(effectiveDecision('guest', guest, { 'risk:read': 'allow' }, calendar)).toEqual({ decision: 'allow', source: 'grant' });
  });

  it('picks the most specific unknown-sender rule', () => {
    const rules = parseUnknownSenderRules('direct=pairing,group=refuse,discord=refuse,matrix:!room:example.org=open,telegram:group=open');
    expect(unknownSenderPolicy(rules, 'telegram', { id: '1', kind: 'direct' })).toBe('pairing');
    expect(unknownSenderPolicy(rules, 'telegram', { id: '-100', kind: 'group' })).toBe('open');
    expect(unknownSenderPolicy(rules, 'discord', { id: '9', kind: 'direct' })).toBe('refuse');
    expect(unknownSenderPolicy(rules, 'matrix', { id: '!room:example.org', kind: 'group' })).toBe('open');
    expect(unknownSenderPolicy(rules, 'matrix', { id: '!other:example.org', kind: 'group' })).toBe('refuse');
    expect(unknownSenderPolicy(parseUnknownSenderRules(''), 'x', { id: '1', kind: 'direct' })).toBe('refuse');
  });

  it('knows roles by their configured names', () => {
    const names = parseRoleNames('member=family,guest=friend');
    expect(names).toEqual({ owner: 'owner', member: 'family', guest: 'friend' });
    expect(roleFromName('Family', names)).toBe('member');
    expect(roleFromName('guest', names)).toBe('guest');
    expect(roleFromName('admin', names)).toBeUndefined();
  });

  it('stops start with the setting and the fix when a rule is malformed', () => {
    expect(() => loadConfig({ env: { HEARTH_UNKNOWN_SENDERS: 'direct=maybe' }, file: false })).toThrow(/HEARTH_UNKNOWN_SENDERS[\s\S]*Fix: set it to scope=policy pairs/);
    expect(() => loadConfig({ env: { HEARTH_ADMIN_TOKEN: 'short' }, file: false })).toThrow(/HEARTH_ADMIN_TOKEN[\s\S]*24 characters/);
    const config = loadConfig({ env: {}, file: false });
    expect(config.access.unknownSenders).toBe('direct=pairing,group=refuse');
    expect(config.limits.guestTokensPerDay).toBeLessThan(config.limits.tokensPerDay);
  });
});
