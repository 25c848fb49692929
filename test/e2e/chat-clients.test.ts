import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, StreamProviderError, streamText } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONG_ANSWER, LONG_MESSAGE } from '../support/chat-text';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { ROOT } from '../support/processes';
import {
  startEmbeddedStack,
  startStack,
  upstreamEnv,
  type EmbeddedStack,
  type Stack,
} from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * `/v1/chat/completions` through two more real clients: the official `openai` Python client from
 * PyPI (test/clients/python_openai_check.py, in the venv test/clients/install-python-openai.sh
 * makes) and the Vercel AI SDK's `@ai-sdk/openai-compatible` provider; then a stream with the
 * worker in its own process, where the answer arrives whole when the job ends.
 */
let mock: MockUpstream;

const LONG = LONG_MESSAGE;
const FULL = LONG_ANSWER;

const ALIASES = {
  'keel/ok': ['openai:ok'],
  'keel/cut': ['openai:stream-cut', 'anthropic:ok'],
};

/** A plan with the aliases above on `api`'s stack, and a caller key of a tenant on it. */
async function tenantKey(api: ReturnType<typeof tenantApi>, tenant: string): Promise<string> {
  const plan = await api.call('PUT', '/v1/admin/plans/clients', {
    id: 'clients',
    name: 'Clients test',
    aliases: ALIASES,
  });
  expect(plan.status, JSON.stringify(plan.body)).toBe(200);
  return api.tenant(tenant, 'clients');
}

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
});
afterAll(async () => {
  await mock?.close();
});

describe('the worker inside the API (npm start)', () => {
  let stack: EmbeddedStack;
  let key: string;
  let python: string;
  const api = tenantApi(() => stack);

  beforeAll(async () => {
    // CI runs the install in .ci/run; here it only checks the pinned version is there.
    python = execFileSync('bash', [path.join(ROOT, 'test/clients/install-python-openai.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .at(-1)!;
    stack = await startEmbeddedStack(upstreamEnv(mock.url));
    key = await tenantKey(api, 'clients-co');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('the official openai Python client', () => {
    /** What python_openai_check.py saw (see the script for the fields). */
    let seen: Record<string, any>;

    beforeAll(async () => {
      const { stdout } = await promisify(execFile)(
        python,
        [path.join(ROOT, 'test/clients/python_openai_check.py')],
        {
          env: {
            PATH: process.env.PATH,
            KEEL_BASE_URL: `${stack.baseUrl}/v1`,
            KEEL_API_KEY: key,
            KEEL_MODEL_OK: 'keel/ok',
            KEEL_MODEL_CUT: 'keel/cut',
            KEEL_MODEL_JSON: 'local:keel-local-1',
            KEEL_MODEL_UNKNOWN: 'nobody:nothing',
            KEEL_PROMPT: LONG,
          },
          timeout: 90_000,
        },
      );
      seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
    }, 120_000);

    it('is the pinned release', () => {
      expect(seen.openai_version).toBe('3.63.0');
    });

    it('a plain completion: the text, a stop finish, the usage', () => {
      expect(seen.plain).toMatchObject({
        object: 'chat.completion',
        model: 'openai:ok',
        text: FULL,
        finish_reason: 'stop',
      });
      expect(seen.plain.usage.total_tokens).toBeGreaterThan(0);
    });

    it('stream=True: the joined deltas are the answer, then a stop finish and the usage chunk', () => {
      const s = seen.stream;
      expect(s.error).toBeNull();
      expect(s.deltas).toBeGreaterThan(1);
      expect(s.text).toBe(FULL);
      expect(s.finish_reason).toBe('stop');
      expect(s.usage.total_tokens).toBe(s.usage.prompt_tokens + s.usage.completion_tokens);
      expect(s.usage.completion_tokens).toBeGreaterThan(0);
    });

    it('json_schema on the local model: JSON that parses and matches the schema', () => {
      expect(seen.json.model).toBe('local:keel-local-1');
      expect(typeof seen.json.value.greeting).toBe('string');
      expect(seen.json.value.count).toBeGreaterThanOrEqual(2);
    });

    it('an unknown model raises openai.NotFoundError (404)', () => {
      expect(seen.unknown_model.is_not_found).toBe(true);
      expect(seen.unknown_model.raised).toMatchObject({
        class: 'NotFoundError',
        status: 404,
        code: 'model-not-found',
      });
    });

    it('a stream cut after the first byte raises openai.APIError while iterating', () => {
      const cut = seen.cut;
      expect(cut.error).toMatchObject({ class: 'APIError', is_api_error: true });
      expect(cut.error.code).toBe('stream-interrupted');
      // It raised during iteration, after some text: a strict prefix, never passed off as whole.
      expect(cut.chunks).toBeGreaterThan(0);
      expect(cut.text.length).toBeGreaterThan(0);
      expect(FULL.startsWith(cut.text)).toBe(true);
      expect(cut.text.length).toBeLessThan(FULL.length);
      expect(cut.finish_reason).toBeNull();
    });
  });

  describe('the Vercel AI SDK (@ai-sdk/openai-compatible)', () => {
    const keel = () =>
      createOpenAICompatible({
        name: 'keel',
        baseURL: `${stack.baseUrl}/v1`,
        apiKey: key,
        includeUsage: true,
      });

    it('generateText: the text, a stop finish, the usage', async () => {
      const result = await generateText({
        model: keel()('keel/ok'),
        prompt: 'Hello there',
        maxRetries: 0,
      });
      expect(result.text).toBe('This is a mock completion for: Hello there');
      expect(result.finishReason).toBe('stop');
      expect(result.usage.totalTokens).toBeGreaterThan(0);
    });

    it('streamText: the text stream adds up to the final text, with the usage', async () => {
      const errors: unknown[] = [];
      const result = streamText({
        model: keel()('keel/ok'),
        prompt: LONG,
        maxRetries: 0,
        onError: ({ error }) => void errors.push(error),
      });
      const deltas: string[] = [];
      for await (const delta of result.textStream) deltas.push(delta);
      expect(errors).toEqual([]);
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe(FULL);
      expect(await result.text).toBe(FULL);
      expect(await result.finishReason).toBe('stop');
      const usage = await result.usage;
      expect(usage.outputTokens).toBeGreaterThan(0);
      expect(usage.totalTokens).toBe(usage.inputTokens! + usage.outputTokens!);
    });

    it('streamText cut after the first byte: a StreamProviderError part and onError, finish "error"', async () => {
      const errors: unknown[] = [];
      const result = streamText({
        model: keel()('keel/cut'),
        prompt: LONG,
        maxRetries: 0,
        onError: ({ error }) => void errors.push(error),
      });
      let text = '';
      const errorParts: unknown[] = [];
      for await (const part of result.stream) {
        if (part.type === 'text-delta') text += part.text;
        if (part.type === 'error') errorParts.push(part.error);
      }
      // The SDK does not throw here: Keel's error event becomes one `error` part of the stream,
      // passed to onError, and the finish reason is "error" (textStream alone would not show it).
      expect(errorParts).toHaveLength(1);
      expect(errors).toEqual(errorParts);
      const error = errorParts[0];
      expect(StreamProviderError.isInstance(error)).toBe(true);
      expect((error as StreamProviderError).code).toBe('stream-interrupted');
      expect(await result.finishReason).toBe('error');
      // What came before the cut is a strict prefix of the answer, and that is all `text` holds.
      expect(text.length).toBeGreaterThan(0);
      expect(FULL.startsWith(text)).toBe(true);
      expect(text.length).toBeLessThan(FULL.length);
      expect(await result.text).toBe(text);
    });
  });
});

describe('the worker in its own process (npm run worker + npm run server)', () => {
  let stack: Stack;
  let client: OpenAI;
  let key: string;
  const api = tenantApi(() => stack);

  beforeAll(async () => {
    stack = await startStack(upstreamEnv(mock.url));
    key = await tenantKey(api, 'clients-remote-co');
    client = new OpenAI({ baseURL: `${stack.baseUrl}/v1`, apiKey: key, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('stream: true still gives the whole, correct answer (sent when the job ends)', async () => {
    const stream = client.chat.completions.stream({
      model: 'keel/ok',
      messages: [{ role: 'user', content: LONG }],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta?.content ?? '');
    const final = await stream.finalChatCompletion();
    expect(deltas.join('')).toBe(FULL);
    expect(final.choices[0]!.message.content).toBe(FULL);
    expect(final.choices[0]!.finish_reason).toBe('stop');
    expect(final.usage!.total_tokens).toBeGreaterThan(0);
    const jobId = final.id.replace(/^chatcmpl-/, '');
    const job = await api.call('GET', `/v1/jobs/${jobId}`, undefined, key);
    expect(job.body).toMatchObject({ status: 'completed', task: 'chat' });
  });

  it('a cut upstream is a failure before the first byte here: the fallback’s whole answer', async () => {
    const stream = client.chat.completions.stream({
      model: 'keel/cut',
      messages: [{ role: 'user', content: LONG }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    const final = await stream.finalChatCompletion();
    expect(text).toBe(FULL);
    expect(final.model).toBe('anthropic:ok');
    expect(final.choices[0]!.finish_reason).toBe('stop');
  });
});
