/**
 * What a caller of `provider.stream` sees for each of the upstream's stream scenarios, through the
 * real OpenAI and Anthropic SDKs and `withStreamTimeouts` (as the chat endpoint streams): the
 * answer then one finish, or an error thrown from the iteration. A fault never ends in a finish.
 *
 * | scenario        | openai and anthropic                                                   |
 * | --------------- | ---------------------------------------------------------------------- |
 * | ok              | deltas joining to the answer `generate` gives, then one finish          |
 * | no-done         | the same: every event including the finish arrived, only the terminator |
 * |                 | ([DONE] / message_stop) is missing, so the answer is whole              |
 * | slow-ttft       | Timeout "no first token within N ms"; the request is aborted            |
 * | stream-stall    | Timeout "stream stalled N ms" after the parts that came; aborted        |
 * | stream-cut      | Connection (retryable) after the parts that came                        |
 * | malformed-chunk | Connection (retryable): the SDK's SyntaxError                           |
 * | reset           | Connection (retryable), before any part                                 |
 * | 503             | ServerError (HTTP 503, retryable), before any part                       |
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAnthropicProvider } from '../../activities/models/providers/anthropic-provider';
import { toCallFailure } from '../../activities/models/providers/classify-error';
import type {
  ModelProvider,
  ModelRequest,
  ModelStreamPart,
} from '../../activities/models/providers/model-provider';
import { createOpenAIProvider } from '../../activities/models/providers/openai-provider';
import {
  withStreamTimeouts,
  type StreamTimeouts,
} from '../../activities/models/providers/stream-timeouts';
import { renderTaskRequest } from '../../activities/models/render-request';
import { parseFileConfig } from '../../shared/platform/config-file';
import { findModel } from '../../shared/platform/model-registry';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { TICKET } from './helpers';

const SCENARIOS = [
  'ok',
  'no-done',
  'slow-ttft',
  'stream-stall',
  'stream-cut',
  'malformed-chunk',
  'reset',
  '503',
] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Generous: only the scenarios about them should ever reach them. */
const RELAXED: StreamTimeouts = { firstTokenMs: 5_000, stallMs: 5_000 };
const SHORT_MS = 300;

let mock: MockUpstream;
let providers: Record<'openai' | 'anthropic', ModelProvider>;

const registry = parseFileConfig(
  {
    providers: [
      { name: 'openai', type: 'openai' },
      { name: 'anthropic', type: 'anthropic' },
    ],
    models: SCENARIOS.flatMap((name) => [
      { provider: 'openai', name, price: { input: 1, output: 1 } },
      { provider: 'anthropic', name, price: { input: 1, output: 1 } },
    ]),
  },
  'test',
);

beforeAll(async () => {
  // slow-ttft's first byte comes well after SHORT_MS but well before the call's deadline.
  mock = await startMockUpstream({ ttftMs: 3_000 });
  providers = {
    openai: createOpenAIProvider({ name: 'openai', apiKey: 'test', baseURL: `${mock.url}/v1` }),
    anthropic: createAnthropicProvider({ name: 'anthropic', apiKey: 'test', baseURL: mock.url }),
  };
});
afterAll(() => mock?.close());
beforeEach(() => mock.clearAttempts());

function request(provider: string, model: string, signal: AbortSignal): ModelRequest {
  const entry = findModel(registry, provider, model);
  if (!entry) throw new Error(`no ${provider}:${model}`);
  return {
    ...renderTaskRequest({ task: classifyTicket, input: TICKET }),
    model: entry,
    maxOutputTokens: 512,
    timeoutMs: 10_000,
    signal,
  };
}

/**
 * Streams one scenario the way a caller does: an AbortController per call, aborted by the stream
 * timeouts. Returns every part seen and the error the iteration threw, if any.
 */
async function streamOf(
  name: 'openai' | 'anthropic',
  scenario: Scenario,
  timeouts: StreamTimeouts = RELAXED,
): Promise<{ parts: ModelStreamPart[]; error?: unknown }> {
  const controller = new AbortController();
  const parts: ModelStreamPart[] = [];
  try {
    const stream = providers[name].stream(request(name, scenario, controller.signal));
    for await (const part of withStreamTimeouts(stream, {
      ...timeouts,
      onTimeout: () => controller.abort(),
    })) {
      parts.push(part);
    }
  } catch (error) {
    return { parts, error };
  }
  return { parts };
}

const textOf = (parts: ModelStreamPart[]): string =>
  parts.flatMap((p) => (p.type === 'text-delta' ? [p.delta] : [])).join('');

/** The failure `callModel` would make of the error: type and whether the route retries. */
const classified = (provider: string, model: string, error: unknown) =>
  toCallFailure(error, { provider, model, maxRetryAfterMs: 10_000, now: Date.now() });

describe.each(['openai', 'anthropic'] as const)('%s stream, scenario by scenario', (name) => {
  /** The answer as `generate` gives it, for comparison with the streamed text. */
  async function whole(): Promise<unknown> {
    const answer = await providers[name].generate(
      request(name, 'ok', new AbortController().signal),
    );
    return answer.text !== undefined ? JSON.parse(answer.text) : answer.output;
  }

  it('ok: deltas join to the answer generate gives, then exactly one finish', async () => {
    const { parts, error } = await streamOf(name, 'ok');
    expect(error).toBeUndefined();
    expect(parts.filter((p) => p.type === 'text-delta').length).toBeGreaterThan(1);
    expect(JSON.parse(textOf(parts))).toEqual(await whole());
    expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      model: 'ok',
      usage: { outputTokens: mock.attempts()[0]?.outputTokens },
    });
  });

  it('no-done: every event including the finish came, so the whole answer finishes', async () => {
    const { parts, error } = await streamOf(name, 'no-done');
    expect(error).toBeUndefined();
    expect(JSON.parse(textOf(parts))).toEqual(await whole());
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: name === 'openai' ? 'stop' : 'tool',
      usage: { outputTokens: mock.attempts()[0]?.outputTokens },
    });
  });

  it('slow-ttft: a retryable Timeout before any part, and the request is aborted', async () => {
    const { parts, error } = await streamOf(name, 'slow-ttft', {
      firstTokenMs: SHORT_MS,
      stallMs: 5_000,
    });
    expect(parts).toEqual([]);
    expect(error).toMatchObject({
      type: 'Timeout',
      message: `no first token within ${SHORT_MS} ms`,
    });
    expect(classified(name, 'slow-ttft', error).nonRetryable).toBe(false);
    await vi.waitFor(() => expect(mock.attempts()[0]?.closedBy).toBe('client'));
  });

  it('stream-stall: a retryable Timeout after the parts that came, never a finish', async () => {
    const { parts, error } = await streamOf(name, 'stream-stall', {
      firstTokenMs: 5_000,
      stallMs: SHORT_MS,
    });
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(error).toMatchObject({ type: 'Timeout', message: `stream stalled ${SHORT_MS} ms` });
    expect(classified(name, 'stream-stall', error).nonRetryable).toBe(false);
    await vi.waitFor(() => expect(mock.attempts()[0]?.closedBy).toBe('client'));
  });

  it.each([
    ['stream-cut', 'Connection'],
    ['malformed-chunk', 'Connection'],
    ['reset', 'Connection'],
    ['503', 'ServerError'],
  ] as const)('%s: throws a retryable %s, never a finish', async (scenario, type) => {
    const { parts, error } = await streamOf(name, scenario);
    expect(error).toBeDefined();
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    const failure = classified(name, scenario, error);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(false);
  });

  it('stream-cut: the text that came before the cut is a strict prefix of the answer', async () => {
    const { parts } = await streamOf(name, 'stream-cut');
    const answer = JSON.stringify(await whole());
    const partial = textOf(parts).replace(/\s/g, '');
    expect(partial.length).toBeGreaterThan(0);
    expect(answer.replace(/\s/g, '').startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(answer.replace(/\s/g, '').length);
  });
});
