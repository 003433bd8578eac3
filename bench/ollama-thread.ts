/**
 * The Ollama stand-in on a thread of its own. Ollama is always another process: served from the
 * benchmark's own thread, an embedding's answer would wait for whatever that thread runs (the
 * embedded database's statements run on it, synchronously), and the figures would charge that
 * wait to Hearth.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { startFakeOllama } from '../test/fakes/ollama.ts';

export async function startOllamaThread(): Promise<{ url: string; close(): Promise<void> }> {
  const worker = new Worker(new URL(import.meta.url));
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { url, close: async () => void (await worker.terminate()) };
}

if (!isMainThread && parentPort) {
  const ollama = await startFakeOllama();
  parentPort.postMessage(ollama.url);
}
