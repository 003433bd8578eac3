/**
 * The pieces the pipeline is built from, on their own: one tool catalogue that sources can
 * change while Hearth runs, stage composition that refuses a double `next`, and background work
 * that never overlaps itself and ends at stop.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolCatalog } from '../../src/tools/catalog.ts';
import { defineTool } from '../../src/tools/tool.ts';
import { compose, outcomeOf, type TurnContext } from '../../src/pipeline/context.ts';
import { BackgroundWork } from '../../src/pipeline/timers.ts';
import { createLogger } from '../../src/log.ts';

const tool = (name: string) => defineTool({ name, description: name, risk: 'read', parameters: z.object({ n: z.number() }), run: async ({ n }) => String(n) });

describe('tool catalogue', () => {
  it('lists every source, replaces one source at a time and tells listeners', () => {
    const catalog = new ToolCatalog({ builtin: [tool('a')] });
    let changes = 0;
    catalog.onChange(() => changes++);
    catalog.replace('mcp:files', [tool('files_read'), tool('files_list')]);
    expect(catalog.list().map((t) => t.name)).toEqual(['a', 'files_read', 'files_list']);
    catalog.replace('mcp:files', [tool('files_read')]);
    expect(catalog.get('files_list')).toBeUndefined();
    expect(catalog.sourceOf('files_read')).toBe('mcp:files');
    catalog.remove('mcp:files');
    expect(catalog.list().map((t) => t.name)).toEqual(['a']);
    expect(changes).toBe(3);
  });

  it('refuses a tool name another source already uses, and keeps what was there', () => {
    const catalog = new ToolCatalog({ builtin: [tool('calculate')] });
    expect(() => catalog.replace('mcp:math', [tool('calculate')])).toThrow(/clashes with the tool of that name from builtin/);
    expect(() => catalog.replace('mcp:math', [tool('x'), tool('x')])).toThrow(/twice/);
    expect(catalog.list().map((t) => t.name)).toEqual(['calculate']);
  });

  it('checks arguments with the schema the model is shown', () => {
    const schema = tool('a').schema;
    expect(schema.json).toMatchObject({ type: 'object', properties: { n: { type: 'number' } }, required: ['n'] });
    expect(schema.parse({ n: 2 })).toEqual({ ok: true, data: { n: 2 } });
    expect(schema.parse({ n: 'two' })).toMatchObject({ ok: false, error: expect.stringMatching(/^n: /) });
  });
});

describe('stage composition', () => {
  const turn = () => ({ replies: [] }) as unknown as TurnContext;

  it('refuses a stage that calls next twice instead of running the rest twice', async () => {
    let runs = 0;
    const run = compose([
      async (_t, next) => {
        await next();
        await next();
      },
      async () => void runs++,
    ]);
    await expect(run(turn())).rejects.toThrow(/next\(\) twice/);
    expect(runs).toBe(1);
  });

  it('counts a turn that stopped without an outcome as done when it replied, ignored when not', () => {
    const silent = turn();
    expect(outcomeOf(silent)).toBe('ignored');
    const answered = turn();
    answered.replies.push({ kind: 'reply', text: 'hi' });
    expect(outcomeOf(answered)).toBe('done');
  });
});

describe('background work', () => {
  it('never runs a job twice at once, survives a failing run, and waits for the run in progress at stop', async () => {
    const work = new BackgroundWork(createLogger({ level: 'silent' }));
    let running = 0;
    let overlapped = false;
    let runs = 0;
    let release: () => void = () => {};
    work.every(
      'slow',
      5,
      async () => {
        running++;
        overlapped ||= running > 1;
        runs++;
        try {
          if (runs === 1) throw new Error('first run fails');
          await new Promise<void>((resolve) => (release = resolve));
        } finally {
          running--;
        }
      },
      { immediately: true },
    );
    await new Promise((r) => setTimeout(r, 60));
    const stopped = work.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    release();
    await stopped;
    expect(runs).toBe(2);
    expect(overlapped).toBe(false);
  });
});
