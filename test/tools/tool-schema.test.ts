/**
 * What the model is shown of a tool: a brief description that starts where the tool's own
 * description starts, and Hearth's own argument schemas without length limits (they are still
 * enforced when the tool is called).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, toOllamaTool } from '../../src/tools/tool.ts';

const routine = defineTool({
  name: 'routine',
  description: 'Do an instruction for the speaker at set times (e.g. every weekday at 7:30 summarise the day); the answer goes to their direct chat. Use it when the person asks for something to happen regularly, not for one reminder.',
  risk: 'write',
  parameters: z.object({ when: z.string().min(1).max(200).describe('when, as the person said it'), kind: z.enum(['daily', 'weekly']).optional() }),
  async run() {
    return 'ok';
  },
});

describe('a tool as the model sees it', () => {
  it('is described by its first sentence, not cut at "e.g."', () => {
    expect(toOllamaTool(routine).function.description).toBe('Do an instruction for the speaker at set times (e.g. every weekday at 7:30 summarise the day); the answer goes to their direct chat.');
  });

  it('leaves out length limits from the schema but still enforces them', () => {
    const shown = JSON.stringify(toOllamaTool(routine).function.parameters);
    expect(shown).not.toMatch(/minLength|maxLength/);
    expect(shown).toContain('"enum":["daily","weekly"]');
    expect(routine.schema.parse({ when: '' })).toMatchObject({ ok: false });
    expect(routine.schema.parse({ when: 'x'.repeat(201) })).toMatchObject({ ok: false });
    expect(routine.schema.parse({ when: 'every day at 8' })).toMatchObject({ ok: true });
  });
});
