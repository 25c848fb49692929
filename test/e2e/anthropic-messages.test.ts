import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONG_ANSWER, LONG_MESSAGE } from '../support/chat-text';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * `POST /v1/messages` with the official `@anthropic-ai/sdk` client, as existing Anthropic code
 * would call it with only its base URL and key changed: the same `chat` job as
 * `/v1/chat/completions` behind Anthropic's wire format, its errors and its event stream.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let client: Anthropic;
let key: string;
const api = tenantApi(() => stack);

const LONG = LONG_MESSAGE;
const FULL = LONG_ANSWER;

const ALIASES = {
  'keel/ok': ['anthropic:ok'],
  'keel/503': ['anthropic:503', 'openai:ok'],
  'keel/cut': ['openai:stream-cut', 'anthropic:ok'],
  'keel/toxic': ['openai:toxic-output'],
};

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
  const plan = await api.call('PUT', '/v1/admin/plans/messages-test', {
    id: 'messages-test',
    name: 'Messages test',
    aliases: ALIASES,
  });
  expect(plan.status, JSON.stringify(plan.body)).toBe(200);
  key = await api.tenant('messages-co', 'messages-test');
  client = new Anthropic({ baseURL: stack.baseUrl, apiKey: key, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

/** The error a call raised (the test fails if it succeeded). */
async function raised(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const outcome = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(Anthropic.APIError);
  return outcome as InstanceType<typeof Anthropic.APIError>;
}

/** Everything a streamed answer gave the caller, or the error the client raised. */
async function streamed(model: string, content: string) {
  const deltas: string[] = [];
  const stream = client.messages.stream({
    model,
    max_tokens: 512,
    messages: [{ role: 'user', content }],
  });
  stream.on('text', (t) => deltas.push(t));
  try {
    const final = await stream.finalMessage();
    return { text: deltas.join(''), final, error: undefined };
  } catch (error) {
    return { text: deltas.join(''), final: undefined, error: error as Error };
  }
}

const problemOf = (err: InstanceType<typeof Anthropic.APIError>) =>
  (err.error as { error: { type: string; problem: { type: string; errors?: unknown[] } } }).error;

describe('POST /v1/messages', () => {
  it('answers a message as a job: Anthropic’s shape, the usage, the job in the API', async () => {
    mock.clearAttempts();
    const message = await client.messages.create({
      model: 'keel/ok',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    expect(message.type).toBe('message');
    expect(message.content).toEqual([
      { type: 'text', text: 'This is a mock completion for: Hello there' },
    ]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.model).toBe('anthropic:ok');
    expect(message.usage.input_tokens + message.usage.output_tokens).toBeGreaterThan(0);
    const job = await api.call(
      'GET',
      `/v1/jobs/${message.id.replace(/^msg_/, '')}`,
      undefined,
      key,
    );
    expect(job.body).toMatchObject({ status: 'completed', task: 'chat' });
    // The system prompt went to the model as the caller wrote it.
    expect(JSON.stringify(mock.attempts().at(-1)!.request)).toContain('Be brief.');
  });

  it('streams: the text events add up to the final message, with its usage', async () => {
    const { text, final, error } = await streamed('keel/ok', LONG);
    expect(error).toBeUndefined();
    expect(text).toBe(FULL);
    expect(final!.content).toEqual([{ type: 'text', text: FULL }]);
    expect(final!.stop_reason).toBe('end_turn');
    expect(final!.usage.output_tokens).toBeGreaterThan(0);
    expect(final!.usage.input_tokens).toBeGreaterThan(0);
  });

  it('never sends the messages’ PII upstream, and gives it back in the answer', async () => {
    mock.clearAttempts();
    const message = await client.messages.create({
      model: 'keel/ok',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Write to jane.roe@example.org about my refund.' }],
    });
    const upstream = JSON.stringify(mock.attempts().map((a) => a.request));
    expect(upstream).not.toContain('jane.roe@example.org');
    expect(JSON.stringify(message.content)).toContain('jane.roe@example.org');
  });

  it('refuses bad requests in Anthropic’s error shape, naming the field and Keel’s problem', async () => {
    const missing = await raised(
      client.messages.create({
        model: 'keel/ok',
        messages: [{ role: 'user', content: 'hi' }],
      } as unknown as Anthropic.MessageCreateParamsNonStreaming),
    );
    expect(missing).toBeInstanceOf(Anthropic.BadRequestError);
    expect(problemOf(missing).type).toBe('invalid_request_error');
    expect(problemOf(missing).problem.type).toMatch(/invalid-request$/);
    expect(JSON.stringify(problemOf(missing).problem.errors)).toContain('max_tokens');
    const tools = await raised(
      client.messages.create({
        model: 'keel/ok',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          { name: 'f', input_schema: { type: 'object', properties: { a: { type: 'nope' } } } },
        ],
      }),
    );
    expect(JSON.stringify(problemOf(tools).problem.errors)).toContain('tools.0.input_schema');
    const unknown = await raised(
      client.messages.create({
        model: 'nobody:nothing',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    const noKey = new Anthropic({
      baseURL: stack.baseUrl,
      apiKey: 'keel_live_nope',
      maxRetries: 0,
    });
    await expect(
      noKey.messages.create({
        model: 'keel/ok',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('a budget-exhausted tenant gets 402 billing_error, streaming or not', async () => {
    const plan = await api.call('PUT', '/v1/admin/plans/messages-broke', {
      id: 'messages-broke',
      name: 'Broke',
      aliases: ALIASES,
      monthlyBudgetUsd: 0,
      overBudget: 'reject',
    });
    expect(plan.status).toBe(200);
    const broke = new Anthropic({
      baseURL: stack.baseUrl,
      apiKey: await api.tenant('messages-broke-co', 'messages-broke'),
      maxRetries: 0,
    });
    for (const stream of [false, true]) {
      const err = await raised(
        broke.messages.create({
          model: 'keel/ok',
          max_tokens: 64,
          stream,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      expect(err.status).toBe(402);
      expect(problemOf(err).type).toBe('billing_error');
      expect(problemOf(err).problem.type).toMatch(/budget-exceeded$/);
    }
  });
});

describe('streams under faults', () => {
  it('a 503 before the first byte: the next candidate answers, unseen', async () => {
    const { text, final, error } = await streamed('keel/503', LONG);
    expect(error).toBeUndefined();
    expect(text).toBe(FULL);
    expect(final!.model).toBe('openai:ok');
  });

  it('a cut after the first byte: the client raises, with a strict prefix; never a silent truncation', async () => {
    const { text, error } = await streamed('keel/cut', LONG);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(FULL.length);
    expect(FULL.startsWith(text)).toBe(true);
    expect(problemOf(error as InstanceType<typeof Anthropic.APIError>).problem.type).toMatch(
      /stream-interrupted$/,
    );
  });

  it('profanity in the answer is a refusal stop, never a normal end', async () => {
    const { final, error } = await streamed('keel/toxic', LONG);
    expect(error).toBeUndefined();
    expect(final!.stop_reason).toBe('refusal');
    const plain = await client.messages.create({
      model: 'keel/toxic',
      max_tokens: 256,
      messages: [{ role: 'user', content: LONG }],
    });
    expect(plain.stop_reason).toBe('refusal');
    expect(plain.content).toEqual([]);
  });
});
