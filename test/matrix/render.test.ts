/** Markdown from the model → Matrix HTML: what Element shows, and nothing it should not run. */
import { describe, expect, it } from 'vitest';
import { editContent, messageContent, renderHtml } from '../../adapters/matrix/render.ts';

describe('matrix render', () => {
  it('renders code blocks, inline code and tables with Matrix-allowed tags, escaping their content', () => {
    const html = renderHtml('Use `a < b`:\n\n```ts\nif (a < b) return "<ok>";\n```\n\n| k | v |\n|---|---|\n| x | 1 |');
    expect(html).toContain('<code>a &lt; b</code>');
    expect(html).toContain('<pre><code class="language-ts">if (a &lt; b) return &quot;&lt;ok&gt;&quot;;');
    expect(html).toContain('<table>');
    expect(html).toContain('<td>x</td>');
  });

  it('turns task lists into text (no <input>), keeps mxc images, drops unsafe links', () => {
    const html = renderHtml('- [x] milk\n- [ ] eggs\n\n![cat](mxc://hearth.test/cat) [x](data:text/html,hi) [mail](mailto:a@b.c "Mail")');
    expect(html).not.toContain('<input');
    expect(html).toContain('☑ milk');
    expect(html).toContain('☐ eggs');
    expect(html).toContain('<img src="mxc://hearth.test/cat" alt="cat">');
    expect(html).not.toContain('data:');
    expect(html).toContain('<a href="mailto:a@b.c" title="Mail">mail</a>');
  });

  it('keeps line breaks the model wrote', () => {
    expect(renderHtml('line one\nline two')).toBe('<p>line one<br>line two</p>');
  });

  it('builds edits with a plain fallback and the full new content', () => {
    const content = editContent('$orig', messageContent('**new**'));
    expect(content).toEqual({
      msgtype: 'm.text',
      body: '* **new**',
      'm.new_content': { msgtype: 'm.text', body: '**new**', format: 'org.matrix.custom.html', formatted_body: '<p><strong>new</strong></p>' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
    });
  });
});
