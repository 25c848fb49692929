import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONG_ANSWER, LONG_MESSAGE } from '../support/chat-text';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * `/v1/chat/completions` with the official `openai` client, as existing code would call it with
 * only its base URL and key changed: the default deployment (worker inside the API), the mock
 * upstream behind Keel, faults before and after the first streamed byte.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let client: OpenAI;
let key: string;
const api = tenantApi(() => stack);

const LONG = LONG_MESSAGE;

const ALIASES = {
  'keel/ok': ['openai:ok'],
  'keel/ttft': ['openai:slow-ttft', 'anthropic:ok'],
  'keel/reset': ['openai:reset', 'anthropic:ok'],
  'keel/503': ['openai:503', 'anthropic:ok'],
  'keel/cut': ['openai:stream-cut', 'anthropic:ok'],
  'keel/stall': ['openai:stream-stall', 'anthropic:ok'],
  'keel/malformed': ['openai:malformed-chunk', 'anthropic:ok'],
  'keel/no-done': ['openai:no-done', 'anthropic:ok'],
  'keel/toxic': ['openai:toxic-output'],
  'keel/hang': ['openai:hang'],
};

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, ttftMs: 15_000 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
  const plan = await api.call('PUT', '/v1/admin/plans/chat-test', {
    id: 'chat-test',
    name: 'Chat test',
    aliases: ALIASES,
  });
  expect(plan.status, JSON.stringify(plan.body)).toBe(200);
  key = await api.tenant('chat-co', 'chat-test');
  client = new OpenAI({ baseURL: `${stack.baseUrl}/v1`, apiKey: key, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

/** The error a call raised (the test fails if it succeeded). */
async function raised(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const outcome = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(OpenAI.APIError);
  return outcome as InstanceType<typeof OpenAI.APIError>;
}

/** Everything a streamed answer gave the caller, or the error the client raised. */
async function streamed(model: string, content: string) {
  const deltas: string[] = [];
  try {
    const stream = client.chat.completions.stream({
      model,
      messages: [{ role: 'user', content }],
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta?.content ?? '');
    const final = await stream.finalChatCompletion();
    return { text: deltas.join(''), final, error: undefined };
  } catch (error) {
    // A dropped connection is never an answer: show the server's side of it.
    if (error instanceof OpenAI.APIConnectionError) console.log(stack.server.output().slice(-4000));
    return { text: deltas.join(''), final: undefined, error: error as Error };
  }
}

describe('POST /v1/chat/completions', () => {
  it('answers a plain completion as a job: OpenAI’s shape, the usage, the job in the API', async () => {
    const completion = await client.chat.completions.create({
      model: 'keel/ok',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toBe(
      'This is a mock completion for: Hello there',
    );
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.model).toBe('openai:ok');
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
    const jobId = completion.id.replace(/^chatcmpl-/, '');
    const job = await api.call('GET', `/v1/jobs/${jobId}`, undefined, key);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ status: 'completed', task: 'chat' });
    // The system message went to the model as the caller wrote it.
    const sent = mock.attempts().at(-1)!.request.messages as Array<{ content: string }>;
    expect(sent[0]!.content).toBe('Be brief.');
    // The call is in the tenant's usage report, as the `chat` task, with its cost.
    const usage = await api.call('GET', '/v1/usage?groupBy=task&tenant=chat-co');
    const chatRow = (usage.body.rows as Array<{ group: { task: string }; costUsd: number }>).find(
      (r) => r.group.task === 'chat',
    );
    expect(chatRow?.costUsd).toBeGreaterThan(0);
  });

  it('streams: the deltas add up to the final completion, with a usage chunk', async () => {
    const { text, final, error } = await streamed('keel/ok', LONG);
    expect(error).toBeUndefined();
    expect(text).toBe(`This is a mock completion for: ${LONG}`);
    expect(final!.choices[0]!.message.content).toBe(text);
    expect(final!.choices[0]!.finish_reason).toBe('stop');
    expect(final!.usage!.completion_tokens).toBeGreaterThan(0);
    // The call streamed from the vendor (not sent whole at the end): its first token was timed.
    const metrics = await (await stack.call('/metrics')).text();
    expect(metrics).toMatch(
      /keel_model_time_to_first_token_seconds_count\{provider="openai",model="ok"\} [1-9]/,
    );
  });

  it('answers JSON matching the caller’s json_schema (local model), and lists the aliases', async () => {
    const completion = await client.chat.completions.create({
      model: 'local:keel-local-1',
      messages: [{ role: 'user', content: 'Give me a greeting.' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'greeting',
          strict: true,
          schema: {
            type: 'object',
            properties: { greeting: { type: 'string' }, count: { type: 'integer', minimum: 2 } },
            required: ['greeting', 'count'],
            additionalProperties: false,
          },
        },
      },
    });
    const value = JSON.parse(completion.choices[0]!.message.content!) as Record<string, unknown>;
    expect(typeof value['greeting']).toBe('string');
    expect(value['count']).toBeGreaterThanOrEqual(2);
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['keel/default', 'keel/ok', 'local:keel-local-1']));
  });

  it('never sends the messages’ PII upstream, and gives it back in the answer', async () => {
    mock.clearAttempts();
    const completion = await client.chat.completions.create({
      model: 'keel/ok',
      messages: [{ role: 'user', content: 'Write to jane.roe@example.org about my refund.' }],
    });
    const upstream = JSON.stringify(mock.attempts().map((a) => a.request));
    expect(upstream).not.toContain('jane.roe@example.org');
    expect(upstream).toMatch(/\[EMAIL_1\]/);
    expect(completion.choices[0]!.message.content).toContain('jane.roe@example.org');
  });

  it('refuses bad requests in OpenAI’s error shape, naming the field and Keel’s problem', async () => {
    const err = await raised(client.chat.completions.create({ model: 'keel/ok', messages: [] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('messages');
    expect(err.code).toBe('invalid-request');
    expect((err.error as { problem: { type: string } }).problem.type).toMatch(/invalid-request$/);
    // OpenAI's deprecated `functions` is refused by name (tools: chat-tools.test.ts).
    const functions = await raised(
      client.chat.completions.create({
        model: 'keel/ok',
        messages: [{ role: 'user', content: 'hi' }],
        functions: [{ name: 'f', parameters: {} }],
      }),
    );
    expect(functions.param).toBe('functions');
    const unknown = await raised(
      client.chat.completions.create({
        model: 'nobody:nothing',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown.code).toBe('model-not-found');
    const noKey = new OpenAI({ baseURL: `${stack.baseUrl}/v1`, apiKey: 'keel_live_nope' });
    await expect(noKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('a budget-exhausted tenant gets 402 insufficient_quota, streaming or not', async () => {
    const plan = await api.call('PUT', '/v1/admin/plans/chat-broke', {
      id: 'chat-broke',
      name: 'Broke',
      aliases: ALIASES,
      monthlyBudgetUsd: 0,
      overBudget: 'reject',
    });
    expect(plan.status).toBe(200);
    const broke = new OpenAI({
      baseURL: `${stack.baseUrl}/v1`,
      apiKey: await api.tenant('chat-broke-co', 'chat-broke'),
      maxRetries: 0,
    });
    for (const stream of [false, true]) {
      const err = await raised(
        broke.chat.completions.create({
          model: 'keel/ok',
          stream,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      expect(err.status).toBe(402);
      expect(err.type).toBe('insufficient_quota');
      expect(err.code).toBe('budget-exceeded');
    }
  });
});

describe('streams under faults: fallback before the first byte, an error after it', () => {
  const FULL = LONG_ANSWER;

  it.each(['keel/ttft', 'keel/reset', 'keel/503'])(
    '%s: the next candidate answers, and the caller never sees the failure',
    async (model) => {
      mock.clearAttempts();
      const { text, final, error } = await streamed(model, LONG);
      expect(error).toBeUndefined();
      expect(text).toBe(FULL);
      expect(final!.model).toBe('anthropic:ok');
      // A stream with no first token is not tried again: the caller is waiting for its first byte.
      if (model === 'keel/ttft')
        expect(mock.attempts().filter((a) => a.model === 'slow-ttft')).toHaveLength(1);
    },
  );

  it.each(['keel/cut', 'keel/malformed', 'keel/stall'])(
    '%s: a whole answer from the fallback, or a raised error; never a silent truncation',
    async (model) => {
      const { text, final, error } = await streamed(model, LONG);
      if (error) {
        // After the first byte: the client raised; what it got is a strict prefix.
        expect(error).toBeInstanceOf(OpenAI.APIError);
        expect(FULL.startsWith(text)).toBe(true);
        expect(text.length).toBeLessThan(FULL.length);
      } else {
        expect(text).toBe(FULL);
        expect(final.choices[0]!.finish_reason).toBe('stop');
      }
    },
  );

  it('stream-cut past the window reaches the caller as an error, and the job records it', async () => {
    const { text, error } = await streamed('keel/cut', LONG);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('stream-interrupted');
  });

  it('a caller who hangs up mid-stream stops the vendor call at once', async () => {
    mock.clearAttempts();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1_500);
    const outcome = await client.chat.completions
      .create(
        { model: 'keel/hang', stream: true, messages: [{ role: 'user', content: 'hi' }] },
        { signal: controller.signal },
      )
      .then(
        () => 'answered',
        (e: unknown) => (e instanceof OpenAI.APIUserAbortError ? 'aborted' : String(e)),
      );
    expect(outcome).toBe('aborted');
    // The upstream sees Keel hang up on the vendor call, long before any timeout of its own.
    await waitFor(
      'the vendor call closed',
      () => mock.attempts().some((a) => a.model === 'hang' && a.closedBy === 'client'),
      { timeoutMs: 8_000 },
    );
  });

  it('no-done: every event came, so the answer is whole', async () => {
    const { text, error } = await streamed('keel/no-done', LONG);
    expect(error).toBeUndefined();
    expect(text).toBe(FULL);
  });

  it('profanity in the answer stops the stream with content_filter, never a normal finish', async () => {
    const { final, error } = await streamed('keel/toxic', LONG);
    expect(error).toBeUndefined();
    expect(final!.choices[0]!.finish_reason).toBe('content_filter');
    const plain = await client.chat.completions.create({
      model: 'keel/toxic',
      messages: [{ role: 'user', content: LONG }],
    });
    expect(plain.choices[0]!.finish_reason).toBe('content_filter');
  });
});
