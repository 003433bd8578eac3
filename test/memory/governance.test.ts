/**
 * The household owns its memory: /forget deletes for real (and is audited without the text),
 * `hearth memory export` → wipe → `hearth memory import` restores recall, and a new embedding
 * model is detected and `hearth memory reindex` moves every memory to it without mixing models.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/databases.ts';
import { describeEachDriver } from '../helpers/drivers.ts';
import { scaled } from '../helpers/time-scale.ts';
import type { Hearth } from '../helpers/harness.ts';
import { createTestAdapter } from '../helpers/test-adapter.ts';
import { hashedEmbedding, startFakeOllama } from '../fakes/ollama.ts';
import { silentLogger } from '../helpers/silent-logger.ts';
import { createEmbedder } from '../../src/memory/embedder.ts';
import { MemoryStore } from '../../src/memory/store.ts';
import { importMemories } from '../../src/memory/transfer.ts';
import { BOB, OLIVE, addPerson, dm, hearthCli, lastPromptContext, lastPromptText, memoryRows, say, start, type MemoryTestContext } from './setup.ts';

describeEachDriver('memory governance on %s', (driver) => {
  const t = {} as MemoryTestContext;
  let hearth: Hearth | undefined;

  beforeEach(async () => {
    t.database = await createTestDatabase(driver);
    t.ollama = await startFakeOllama({ models: ['qwen2.5:3b', 'nomic-embed-text:latest', 'mxbai-embed-large:latest'] });
    t.adapter = createTestAdapter();
  });
  afterEach(async () => {
    await hearth?.stop();
    hearth = undefined;
    await t.ollama.close();
    await t.database.drop();
  });

  it('/forget removes a memory from recall and from the table, and audits it without its text', async () => {
    hearth = await start(t);
    await addPerson(hearth, { id: 'person-bob', name: 'Bob', role: 'member', accountId: BOB.accountId });
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember Olive sees Dr. Marlowe every second Tuesday' });
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember Olive collects blue teapots' });
    const [appointment, teapots] = await memoryRows(hearth);
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'When do I see Dr. Marlowe?' });
    expect(lastPromptContext(t.ollama)).toContain('Dr. Marlowe every second Tuesday');

    const listed = await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/memories' });
    expect(listed).toContain(`#${appointment!.id} Olive sees Dr. Marlowe every second Tuesday`);
    expect(await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: `/forget ${appointment!.id}` })).toContain('Forgotten: "Olive sees Dr. Marlowe');
    expect(await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/forget teapots' })).toContain('Forgotten: "Olive collects blue teapots"');

    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'When do I see Dr. Marlowe? Do I collect teapots?' });
    // Nowhere in the prompt: not recalled, and not in the earlier message's replayed note either.
    expect(lastPromptText(t.ollama)).toContain('When do I see Dr. Marlowe?');
    expect(lastPromptText(t.ollama)).not.toContain('Marlowe every second Tuesday');
    expect(lastPromptText(t.ollama)).not.toContain('blue teapots');
    expect(await memoryRows(hearth)).toEqual([]);
    const [{ notes }] = (await hearth.hearth.database.rows<{ notes: number }>(sql`select count(*)::int as notes from messages where note ilike '%marlowe every%'`)) as [{ notes: number }];
    expect(Number(notes)).toBe(0);
    const [{ n }] = (await hearth.hearth.database.rows<{ n: number }>(sql`select count(*)::int as n from memories where text ilike '%marlowe%' or embedding is not null`)) as [{ n: number }];
    expect(Number(n)).toBe(0);

    const deleted = (await hearth.audit()).filter((a) => a.kind === 'memory.deleted');
    expect(deleted.map((a) => a.subject)).toEqual([`memory:${appointment!.id}`, `memory:${teapots!.id}`]);
    expect(deleted.every((a) => a.actorPersonId !== null)).toBe(true);
    expect(JSON.stringify(deleted)).not.toMatch(/Marlowe|teapots/);
  });

  it("lets the owner delete anyone's memory by number without being shown its text", async () => {
    hearth = await start(t);
    await addPerson(hearth, { id: 'person-bob', name: 'Bob', role: 'member', accountId: BOB.accountId });
    await say(hearth, t.adapter, { sender: BOB, conversation: dm('dm-bob'), text: '/remember Bob is learning the cello' });
    const [cello] = await memoryRows(hearth);
    const reply = await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: `/forget ${cello!.id}` });
    // The owner may delete it, but is not shown Bob's private text.
    expect(reply).toBe(`Forgotten: memory #${cello!.id}.`);
    expect(await memoryRows(hearth)).toEqual([]);
  });

  it('export → wipe → import restores recall, with scopes and owners intact', async () => {
    hearth = await start(t);
    await addPerson(hearth, { id: 'person-bob', name: 'Bob', role: 'member', accountId: BOB.accountId });
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember Olive is training for the Lisbon marathon' });
    await say(hearth, t.adapter, { sender: BOB, conversation: dm('dm-bob'), text: '/remember household: The boiler is serviced every October' });
    const before = await memoryRows(hearth);
    await hearth.stop();
    hearth = undefined;

    const exported = await hearthCli(t, ['memory', 'export']);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('exported 2 memories');
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.text)).toEqual(before.map((m) => m.text));
    expect(lines[0].embedding).toHaveLength(768);
    const olives = await hearthCli(t, ['memory', 'export', '--person', before[0]!.person_id!]);
    expect(olives.stdout.trim().split('\n').map((l) => JSON.parse(l).text)).toEqual(['Olive is training for the Lisbon marathon']);
    const file = join(t.database.dataDir, 'memories.jsonl');
    writeFileSync(file, exported.stdout);

    hearth = await start(t);
    await hearth.hearth.database.rows(sql`delete from memories`);
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'How is my marathon training going?' });
    expect(lastPromptContext(t.ollama)).not.toContain('Lisbon marathon');
    await hearth.stop();
    hearth = undefined;

    const embedsBefore = t.ollama.embedRequests.length;
    const imported = await hearthCli(t, ['memory', 'import', file]);
    expect(imported.stderr).toContain('imported 2 memories');
    expect(imported.code).toBe(0);
    // Same model: the exported embeddings are reused, nothing is embedded again.
    expect(t.ollama.embedRequests.length).toBe(embedsBefore);
    const again = await hearthCli(t, ['memory', 'import', file]);
    expect(again.stderr).toContain('imported 0 memories, 2 already present');

    hearth = await start(t);
    const after = await memoryRows(hearth);
    expect(after.map(({ id: _id, ...rest }) => rest)).toEqual(before.map(({ id: _id, ...rest }) => rest));
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'How is my marathon training going?' });
    expect(lastPromptContext(t.ollama)).toContain('Olive is training for the Lisbon marathon');
    expect(lastPromptContext(t.ollama)).toContain('The boiler is serviced every October');
    await hearth.stop();
    hearth = undefined;

    const boiler = after.find((m) => m.text.startsWith('The boiler'))!;
    const forgot = await hearthCli(t, ['memory', 'forget', String(boiler.id)]);
    expect(forgot.stderr).toContain(`forgot memory #${boiler.id}`);
    hearth = await start(t);
    expect((await memoryRows(hearth)).map((m) => m.text)).toEqual(['Olive is training for the Lisbon marathon']);
    expect((await hearth.audit()).filter((a) => a.kind === 'memory.deleted')).toEqual([
      expect.objectContaining({ subject: `memory:${boiler.id}`, detail: expect.objectContaining({ via: 'cli', scope: 'household' }) }),
    ]);
  }, scaled(120_000)); // five runs of the real `hearth` command

  it('re-embeds imported memories that were made with another model', async () => {
    hearth = await start(t);
    const [{ id: owner }] = (await hearth.hearth.database.rows<{ id: string }>(sql`select id from people where role = 'owner'`)) as [{ id: string }];
    const store = new MemoryStore({ database: hearth.hearth.database, embedder: createEmbedder({ host: t.ollama.url, model: 'nomic-embed-text' }), log: silentLogger as never, maxChars: 1000 });
    const line = (text: string, model: string, dims: number) => JSON.stringify({ text, scope: 'person', personId: owner, embeddingModel: model, embedding: Array(dims).fill(0.1) });
    const result = await importMemories(store, [line('Olive plays chess on Fridays', 'mxbai-embed-large', 1024), line('Olive grows chillies', 'nomic-embed-text:latest', 768), '{"text": "no scope"}', line('my password is hunter22', 'x', 3)]);
    expect(result).toMatchObject({ imported: 2, duplicates: 0 });
    expect(result.skipped.map((s) => s.line)).toEqual([3, 4]);
    const embedsBefore = t.ollama.embedRequests.length;
    expect(await store.embedPending()).toBe(1);
    expect(t.ollama.embedRequests.slice(embedsBefore).flatMap((r) => r.input)).toEqual(['Olive plays chess on Fridays']);
    expect((await memoryRows(hearth)).map((m) => `${m.text}: ${m.embedding_model}/${m.embedding_dims}`)).toEqual([
      'Olive plays chess on Fridays: nomic-embed-text:latest/768',
      'Olive grows chillies: nomic-embed-text:latest/768',
    ]);
  });

  it('detects a new embedding model, recalls only its embeddings, and reindex moves every memory to it', async () => {
    // nomic: the stand-in's hashed words (768). mxbai: 1024 dims where the question and the
    // memory about Granny point the same way although they share no word.
    const mxbai = (text: string) => {
      const v = new Array<number>(1024).fill(0);
      v[/granny|grandma/i.test(text) ? 3 : 500] = 1;
      v[1000] = hashedEmbedding(text)[0]! + 0.01;
      return v;
    };
    t.ollama.embed = (text, model) => (model.startsWith('mxbai') ? mxbai(text) : hashedEmbedding(text));
    hearth = await start(t);
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: "/remember Grandma Edith's birthday is on the fourteenth of March" });
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember household: The recycling goes out on Thursdays' });
    expect((await memoryRows(hearth)).map((m) => m.embedding_dims)).toEqual([768, 768]);
    await hearth.stop();

    const switched = { ollama: { embedModel: 'mxbai-embed-large' } };
    hearth = await start(t, switched);
    expect(hearth.logs.join('')).toContain('the embedding model changed');
    // Only full-text could find old memories now; this question shares no word with them.
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'When should I buy flowers for granny?' });
    expect(t.adapter.sent.at(-1)!.text).toMatch(/^echo:/);
    expect(lastPromptContext(t.ollama)).not.toContain('Edith');
    expect(hearth.logs.join('')).not.toMatch(/could not recall|dimensions/);
    // A memory written now is embedded with the new model, next to the old ones.
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: '/remember Olive prefers tulips' });
    expect((await memoryRows(hearth)).map((m) => `${m.embedding_model}/${m.embedding_dims}`)).toEqual(['nomic-embed-text:latest/768', 'nomic-embed-text:latest/768', 'mxbai-embed-large:latest/1024']);
    await hearth.stop();
    hearth = undefined;

    const reindex = await hearthCli(t, ['memory', 'reindex', '--batch-size', '1'], { OLLAMA_EMBED_MODEL: 'mxbai-embed-large' });
    expect(reindex.code).toBe(0);
    expect(reindex.stderr).toContain('the embedding model changed: 2 memories were embedded with nomic-embed-text:latest (768 dimensions)');
    expect(reindex.stderr).toContain('re-embedding with mxbai-embed-large:latest: 1/2');
    expect(reindex.stderr).toContain('re-embedding with mxbai-embed-large:latest: 2/2');
    expect(reindex.stderr).toContain('removed 1 index(es) of the old model');

    hearth = await start(t, switched);
    expect((await memoryRows(hearth)).map((m) => `${m.embedding_model}/${m.embedding_dims}`)).toEqual(Array(3).fill('mxbai-embed-large:latest/1024'));
    const indexes = await hearth.hearth.database.rows<{ indexdef: string }>(sql`select indexdef from pg_indexes where tablename = 'memories' and indexdef like '%hnsw%'`);
    expect(indexes).toHaveLength(1);
    expect(indexes[0]!.indexdef).toContain(driver === 'postgres' ? 'halfvec(1024)' : 'vector(1024)');
    await say(hearth, t.adapter, { sender: OLIVE, conversation: dm('dm-olive'), text: 'When should I buy flowers for granny?' });
    expect(lastPromptContext(t.ollama)).toContain("Grandma Edith's birthday is on the fourteenth of March");
    const ranked = lastPromptContext(t.ollama);
    expect(ranked.indexOf('Edith')).toBeLessThan(ranked.indexOf('recycling'));
    // No dimension errors anywhere along the way (recall would have logged them and gone on).
    expect(hearth.logs.join('')).not.toMatch(/could not recall|dimensions/);
  }, scaled(120_000));
});
