/**
 * Markdown → Telegram HTML, judged by the stand-in's copy of Telegram's HTML rules: whatever a
 * model writes must come out as HTML Telegram accepts, with the visible text people expect.
 */
import { describe, expect, it } from 'vitest';
import { renderTelegramHtml, splitForTelegram, visibleText } from '../../adapters/telegram/render.ts';
import { parseTelegramHtml } from '../fakes/telegram-html.ts';

function accepted(markdown: string): { html: string; text: string } {
  const html = renderTelegramHtml(markdown);
  const parsed = parseTelegramHtml(html);
  if (!parsed.ok) throw new Error(`Telegram would reject ${JSON.stringify(html)}: ${parsed.error}`);
  expect(visibleText(html)).toBe(parsed.text);
  return { html, text: parsed.text };
}

describe('the Telegram HTML judge', () => {
  it('rejects what Telegram rejects, so the render tests cannot pass vacuously', () => {
    expect(parseTelegramHtml('<b>bold</b> &amp; <a href="https://x">x</a>')).toEqual({ ok: true, text: 'bold & x' });
    expect(parseTelegramHtml('<p>hi</p>')).toMatchObject({ ok: false, error: expect.stringContaining('Unsupported start tag "p"') });
    expect(parseTelegramHtml('<b>hi')).toMatchObject({ ok: false });
    expect(parseTelegramHtml('<b><i>x</b></i>')).toMatchObject({ ok: false, error: expect.stringContaining('Unmatched end tag') });
    expect(parseTelegramHtml('a < b')).toMatchObject({ ok: false });
    expect(parseTelegramHtml('AT&T')).toEqual({ ok: true, text: 'AT&T' });
  });
});

describe('renderTelegramHtml', () => {
  it('maps emphasis, code, links and headings to the tags Telegram knows', () => {
    expect(accepted('# Plan\n\n**bold** _it_ ~~gone~~ `a<b>` [site](https://a.example/?q=1&r=2)').html).toBe(
      '<b>Plan</b>\n\n<b>bold</b> <i>it</i> <s>gone</s> <code>a&lt;b&gt;</code> <a href="https://a.example/?q=1&amp;r=2">site</a>',
    );
  });

  it('keeps code blocks verbatim with their language', () => {
    const { html, text } = accepted('```python\nif a < b and c > d:\n    print("&")\n```');
    expect(html).toBe('<pre><code class="language-python">if a &lt; b and c &gt; d:\n    print("&amp;")</code></pre>');
    expect(text).toBe('if a < b and c > d:\n    print("&")');
  });

  it('writes lists, quotes, tables and rules as readable text', () => {
    const { text } = accepted('- one\n- two\n  1. nested\n\n> said\n> > inner\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\n- [x] done\n- [ ] todo');
    expect(text).toBe('• one\n• two\n  1. nested\n\nsaid\n\ninner\n\na | b\n1 | 2\n\n———\n\n☑ done\n☐ todo');
  });

  it('shows raw HTML and entities as text, and drops unsafe link schemes', () => {
    expect(accepted('<b>not trusted</b> <br> &amp; &copy; 5 > 3').text).toBe('<b>not trusted</b> \n & &copy; 5 > 3');
    expect(accepted('[click](javascript:alert(1)) ![cat](https://img.example/cat.png)').html).toBe('click <a href="https://img.example/cat.png">cat</a>');
  });

  it('produces HTML Telegram accepts for arbitrary mixes of markdown syntax', () => {
    const pieces = ['**', '*', '_', '__', '~~', '`', '```', '\n', '\n\n', '> ', '- ', '1. ', '# ', '[a](https://x.y/?a=1&b=2)', '<', '>', '&', '&amp;', '<i>', '</b>', '|', '\\', 'text', ' ', 'ü🙂', '![i](h)', '<br/>', '"'];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 500; round++) {
      const length = 1 + Math.floor(random() * 25);
      const markdown = Array.from({ length }, () => pieces[Math.floor(random() * pieces.length)]!).join('');
      accepted(markdown);
    }
  });
});

describe('splitForTelegram', () => {
  it('keeps a message that fits whole, and re-splits one whose rendering outgrows the limit', () => {
    expect(splitForTelegram('short **answer**', 4096)).toEqual(['short **answer**']);
    // Lazy list continuation lines gain an indent when rendered: 4,096 characters of markdown
    // become more than 4,096 visible ones.
    const markdown = Array.from({ length: 300 }, (_, i) => `- item ${i}\ncontinued`).join('\n').slice(0, 4096);
    expect(markdown.length).toBe(4096);
    expect(visibleText(renderTelegramHtml(markdown)).length).toBeGreaterThan(4096);
    const pieces = splitForTelegram(markdown, 4096);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(accepted(piece).text.length).toBeLessThanOrEqual(4096);
  });
});
