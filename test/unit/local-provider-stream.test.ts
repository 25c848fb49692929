import { describe, expect, it } from 'vitest';
import { createLocalProvider } from '../../activities/models/providers/local-provider';
import type {
  ModelProvider,
  ModelRequest,
  ModelStreamPart,
} from '../../activities/models/providers/model-provider';
import { renderTaskRequest } from '../../activities/models/render-request';
import { DEFAULT_FILE_CONFIG, parseFileConfig } from '../../shared/platform/config-file';
import { findModel } from '../../shared/platform/model-registry';
import { findTask, type AnyTaskDefinition } from '../../shared/tasks';
import { classifyTicket } from '../../shared/tasks/classify-ticket';

const model = findModel(parseFileConfig(DEFAULT_FILE_CONFIG, 'default'), 'local', 'keel-local-1');

function request(task: AnyTaskDefinition, input: unknown): ModelRequest {
  if (!model) throw new Error('no local model');
  return {
    ...renderTaskRequest({ task, input: task.input.parse(input) }),
    model,
    maxOutputTokens: 100,
    timeoutMs: 1_000,
    signal: new AbortController().signal,
  };
}

async function collect(parts: AsyncIterable<ModelStreamPart>): Promise<ModelStreamPart[]> {
  const all: ModelStreamPart[] = [];
  for await (const part of parts) all.push(part);
  return all;
}

const deltasOf = (parts: ModelStreamPart[]): string[] =>
  parts.flatMap((p) => (p.type === 'text-delta' ? [p.delta] : []));
const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** Streams and generates the same request; both answers, for comparison. */
async function both(provider: ModelProvider, req: ModelRequest) {
  const parts = await collect(provider.stream(req));
  return { parts, deltas: deltasOf(parts), whole: await provider.generate(req) };
}

describe('local provider stream', () => {
  it('streams a structured task’s answer as its JSON, then the finish generate gives', async () => {
    const { parts, deltas, whole } = await both(
      createLocalProvider(),
      request(classifyTicket, classifyTicket.example),
    );
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((d) => words(d) >= 1 && words(d) <= 3)).toBe(true);
    expect(JSON.parse(deltas.join(''))).toEqual(whole.output);
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: whole.finishReason,
      usage: whole.usage,
      model: 'keel-local-1',
    });
    expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
  });

  it('streams a conversational task’s answer as the text its hooks read (chat)', async () => {
    const chat = findTask('chat');
    if (!chat?.conversation) throw new Error('chat has no conversation hooks');
    const { parts, deltas, whole } = await both(
      createLocalProvider(),
      request(chat, { messages: [{ role: 'user', content: 'Say hello to the support team.' }] }),
    );
    expect(whole.text).toBeDefined();
    expect(deltas.join('')).toBe(whole.text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', usage: whole.usage });
  });

  it('keeps every character of the text, whitespace included, a few words per delta', async () => {
    const text = '  Hello there,\n\nhow are   you today?\tFine, thanks. ';
    const provider = createLocalProvider({ answer: () => ({ output: { text }, text }) });
    const { deltas, whole } = await both(provider, request(classifyTicket, classifyTicket.example));
    expect(deltas.join('')).toBe(text);
    expect(deltas).toEqual(['  Hello there,\n\nhow ', 'are   you today?\t', 'Fine, thanks. ']);
    expect(whole.text).toBe(text);
  });

  it('an empty answer streams no delta, only the finish', async () => {
    const provider = createLocalProvider({ answer: () => ({ output: '', text: '' }) });
    const parts = await collect(provider.stream(request(classifyTicket, classifyTicket.example)));
    expect(parts).toEqual([expect.objectContaining({ type: 'finish', finishReason: 'stop' })]);
  });

  it('refuses a request that carries no task, from the first iteration', async () => {
    const { providerOptions: _dropped, ...bare } = request(classifyTicket, classifyTicket.example);
    await expect(collect(createLocalProvider().stream(bare))).rejects.toThrow(
      'local provider answers Keel tasks only',
    );
  });
});
