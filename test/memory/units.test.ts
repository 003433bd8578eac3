/** The small pure parts of memory: secret detection, token estimates, query building, parsing. */
import { describe, expect, it } from 'vitest';
import { secretIn } from '../../src/memory/secrets.ts';
import { estimateTokens, defaultHistoryTokens } from '../../src/memory/tokens.ts';
import { formatRecall, fullTextQuery } from '../../src/memory/recall.ts';
import { parseFacts } from '../../src/memory/extract.ts';
import { parseRemember } from '../../src/memory/commands.ts';
import { clampSummary } from '../../src/memory/summary.ts';
import { indexName } from '../../src/memory/vector-index.ts';
import { normalizeModelName } from '../../src/memory/embedder.ts';

describe('secret detection', () => {
  it.each([
    'the wifi password is CorrectHorse42',
    'Passwort: geheim123',
    'my PIN is 4821',
    'card 4111-1111-1111-1111 expires soon',
    'token: ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    'use sk-proj-abcdefghijklmnop1234',
    'AKIAIOSFODNN7EXAMPLE is the key id',
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    'bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'my seed phrase starts with apple banana',
    'IBAN DE89 3704 0044 0532 0130 00',
    'the api key is a8F3kLm9Qz2Xw7Rt5Yp1',
  ])('refuses %s', (text) => {
    expect(secretIn(text)).toBeDefined();
  });

  it.each([
    'I changed my password yesterday',
    'Olive is allergic to peanuts',
    'The bins go out on Tuesday at 7',
    'Our phone number is 0170 1234567',
    'Bob was born on 1987-04-12',
    'I like to pin photos to the fridge',
    'The secret ingredient is cinnamon',
  ])('accepts %s', (text) => {
    expect(secretIn(text)).toBeUndefined();
  });
});

describe('token estimates', () => {
  it('counts about four ASCII characters per token and one per other character', () => {
    expect(estimateTokens('abcd'.repeat(25))).toBe(25);
    expect(estimateTokens('日本語のテキスト')).toBe(8);
    expect(defaultHistoryTokens(4096, 1500)).toBe(4096 - 1024 - 700 - 375);
    expect(defaultHistoryTokens(512, 1500)).toBe(256);
  });
});

describe('full-text query', () => {
  it('keeps meaningful words and numbers, joined with OR, and nothing that is query syntax', () => {
    expect(fullTextQuery("What is Zebediah's number 42? (it's & | !)")).toBe('zebediah | number | 42');
    expect(fullTextQuery('what is it?')).toBeUndefined();
  });
});

describe('recall formatting', () => {
  const memory = (id: number, text: string, scope: 'person' | 'room' | 'household') => ({ id, text, scope, personId: null, roomKey: null, score: 1 });
  it('labels scopes and stays within the budget', () => {
    const block = formatRecall([memory(1, 'Olive likes tea', 'person'), memory(2, 'Bins on Tuesday', 'household'), memory(3, 'x'.repeat(500), 'room')], { budgetChars: 200, senderName: 'Olive', group: false })!;
    expect(block).toContain('- (Olive, private) Olive likes tea');
    expect(block).toContain('- (household) Bins on Tuesday');
    expect(block).not.toContain('xxx');
    expect(block.length).toBeLessThanOrEqual(200);
  });
  it('warns the model not to reveal private memories in a group', () => {
    expect(formatRecall([memory(1, 'Olive likes tea', 'person')], { budgetChars: 500, senderName: 'Olive', group: true })).toContain("do not reveal them to others in this group");
  });
});

describe('parsing', () => {
  it('reads the scope prefix of /remember', () => {
    expect(parseRemember('household: bins on Tuesday')).toEqual({ scope: 'household', text: 'bins on Tuesday' });
    expect(parseRemember('room: book club on Thursdays')).toEqual({ scope: 'room', text: 'book club on Thursdays' });
    expect(parseRemember('Note: I like tea')).toEqual({ scope: 'person', text: 'Note: I like tea' });
  });
  it('reads extracted facts', () => {
    expect(parseFacts('NONE')).toEqual([]);
    expect(parseFacts('1. Olive likes tea.\n* Olive has a cat named Biscuit.\n\nok')).toEqual(['Olive likes tea.', 'Olive has a cat named Biscuit.']);
  });
  it('cuts an overlong summary at a sentence end', () => {
    const text = `${'First sentence is here. '.repeat(20)}Last one.`;
    const cut = clampSummary(text, 40);
    expect(estimateTokens(cut)).toBeLessThanOrEqual(40);
    expect(cut.endsWith('.')).toBe(true);
  });
  it('names one index per model and dimension', () => {
    expect(normalizeModelName('nomic-embed-text')).toBe('nomic-embed-text:latest');
    expect(normalizeModelName('mxbai-embed-large:335m')).toBe('mxbai-embed-large:335m');
    expect(indexName({ model: 'a:latest', dims: 768 }, 'half')).not.toBe(indexName({ model: 'a:latest', dims: 1024 }, 'half'));
    expect(indexName({ model: 'a:latest', dims: 768 }, 'half')).not.toBe(indexName({ model: 'a:latest', dims: 768 }, 'full'));
    expect(indexName({ model: 'a:latest', dims: 768 }, 'full').length).toBeLessThanOrEqual(63);
  });
});
