/**
 * Step 1 of `hearth setup`: Ollama and the models. Finds Ollama (or says how to get it and lets
 * the person retry, change the address or go on without it), recommends models for this
 * machine's memory, and pulls what is missing with a progress bar.
 */
import { confirm, input, select } from '@inquirer/prompts';
import { CHAT_MODELS, EMBED_MODEL, checkOllama, isPulled, memoryText, pullModel, recommendChatModel, type OllamaState } from './models.ts';
import { bad, current, good, heading, note, type SetupContext } from './context.ts';

export interface ModelChoices {
  host: string;
  model: string;
  embedModel: string;
}

const DEFAULT_HOST = 'http://127.0.0.1:11434';
const OTHER = '\u0000other';

export async function modelStep(context: SetupContext): Promise<ModelChoices> {
  const { flags, interactive, say } = context;
  say(heading('1. The language model (Ollama)'));
  let host = flags.ollamaHost ?? current(context, 'ollama.host', 'OLLAMA_HOST') ?? DEFAULT_HOST;
  if (interactive && !flags.ollamaHost) host = await input({ message: 'Where does Ollama run?', default: host, validate: validUrl });
  let state = await checkOllama(host);
  while (state.problem && interactive) {
    say(bad(`Ollama: ${state.problem}.`));
    say('  Install it from https://ollama.com/download and start it (`ollama serve`), or give the address where it runs.');
    const next = await select({
      message: 'What now?',
      choices: [
        { name: 'Try again', value: 'retry' },
        { name: 'Use another address', value: 'host' },
        { name: 'Go on without it (pull the models later)', value: 'skip' },
      ],
    });
    if (next === 'skip') break;
    if (next === 'host') host = await input({ message: 'Where does Ollama run?', default: host, validate: validUrl });
    state = await checkOllama(host);
  }
  if (state.problem && !interactive) say(note(`Ollama: ${state.problem}. Models are not pulled; start Ollama and run setup again (or \`ollama pull\` them).`));
  if (!state.problem) say(good(`Ollama ${state.version} at ${host}`));

  const recommended = recommendChatModel();
  const configuredModel = current(context, 'ollama.model', 'OLLAMA_MODEL');
  const configuredEmbed = current(context, 'ollama.embedModel', 'OLLAMA_EMBED_MODEL');
  let model = flags.model ?? configuredModel ?? recommended.name;
  let embedModel = flags.embedModel ?? configuredEmbed ?? EMBED_MODEL.name;
  if (interactive) {
    say(`  This machine has ${memoryText()} of memory: ${recommended.name} fits it best.`);
    if (!flags.model) model = await chooseModel('Chat model', state, model, recommended.name, CHAT_MODELS);
    if (!flags.embedModel) embedModel = await chooseModel('Embedding model (for memories; changing it later needs `hearth memory reindex`)', state, embedModel, EMBED_MODEL.name, [EMBED_MODEL]);
  }
  if (!state.problem) await pullMissing(context, state, [model, embedModel]);
  return { host, model, embedModel };
}

async function chooseModel(message: string, state: OllamaState, chosen: string, recommended: string, known: Array<{ name: string; size: string; why: string }>): Promise<string> {
  const label = (name: string, detail: string) => `${name}${detail ? ` — ${detail}` : ''}${name === recommended ? ' (recommended)' : ''}${isPulled(state, name) ? ' [pulled]' : ''}`;
  const choices = known.map((m) => ({ name: label(m.name, `${m.size}, ${m.why}`), value: m.name }));
  for (const name of [chosen, ...state.pulled.filter((p) => !p.includes('embed'))]) {
    if (!choices.some((c) => c.value === name || `${c.value}:latest` === name)) choices.push({ name: label(name, name === chosen ? 'what you use now' : ''), value: name });
  }
  choices.push({ name: 'Another model (type its name)', value: OTHER });
  const picked = await select({ message, choices, default: choices.find((c) => c.value === chosen || `${c.value}:latest` === chosen)?.value ?? recommended });
  return picked === OTHER ? input({ message: 'Model name (as in `ollama pull NAME`)', validate: (v) => (/^[\w.:/-]+$/.test(v.trim()) ? true : 'letters, digits and . : / - only') }).then((v) => v.trim()) : picked;
}

async function pullMissing(context: SetupContext, state: OllamaState, names: string[]): Promise<void> {
  const { flags, interactive, say } = context;
  for (const name of new Set(names)) {
    if (isPulled(state, name)) {
      say(good(`${name} is pulled`));
      continue;
    }
    const size = [...CHAT_MODELS, EMBED_MODEL].find((m) => m.name === name)?.size;
    const wanted = interactive ? await confirm({ message: `Download ${name}${size ? ` (${size})` : ''} now?`, default: flags.pull }) : flags.pull;
    if (!wanted) {
      say(note(`${name} is not pulled: run \`ollama pull ${name}\` before Hearth answers.`));
      continue;
    }
    try {
      await pullModel(state.host, name);
      say(good(`${name} pulled`));
    } catch (error) {
      say(bad(`could not pull ${name}: ${(error as Error).message}. Check the name (https://ollama.com/library), then run setup again or \`ollama pull ${name}\`.`));
    }
  }
}

function validUrl(value: string): true | string {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? true : 'an http:// or https:// address, e.g. http://127.0.0.1:11434';
  } catch {
    return 'an address like http://127.0.0.1:11434';
  }
}
