import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Tool calling on `/v1/chat/completions` and `/v1/messages` with the official `openai` and
 * `@anthropic-ai/sdk` clients against Keel (worker inside the API) and the mock upstream: calls
 * and results both ways, streamed and not, arguments checked against the tool's schema (one
 * re-ask, then an error), PII kept from the upstream in tool results and put back in arguments.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let openai: OpenAI;
let anthropic: Anthropic;
let key: string;
const api = tenantApi(() => stack);

const ALIASES = {
  'keel/openai': ['openai:ok'],
  'keel/anthropic': ['anthropic:ok'],
  'keel/tool-call': ['openai:tool-call'],
  'keel/anthropic-tool-call': ['anthropic:tool-call'],
  'keel/bad-args': ['openai:rule-violation'],
  'keel/anthropic-bad-args': ['anthropic:rule-violation'],
};

const WEATHER: OpenAI.Chat.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } },
      required: ['city', 'days'],
      additionalProperties: false,
    },
  },
};

const WEATHER_TOOL: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: WEATHER.function.parameters as Anthropic.Tool.InputSchema,
};

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
  const plan = await api.call('PUT', '/v1/admin/plans/tools-test', {
    id: 'tools-test',
    name: 'Tools test',
    aliases: ALIASES,
  });
  expect(plan.status, JSON.stringify(plan.body)).toBe(200);
  key = await api.tenant('tools-co', 'tools-test');
  openai = new OpenAI({ baseURL: `${stack.baseUrl}/v1`, apiKey: key, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: stack.baseUrl, apiKey: key, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

/** The error a call raised (the test fails if it succeeded). */
async function raised<E>(call: Promise<unknown>, kind: abstract new (...a: never[]) => E) {
  const outcome = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(kind);
  return outcome as E;
}

const argsOf = (call: OpenAI.Chat.ChatCompletionMessageToolCall | undefined) =>
  JSON.parse(call?.type === 'function' ? call.function.arguments : 'null') as unknown;

describe('tools on /v1/chat/completions (openai client)', () => {
  it('answers a required call as tool_calls with finish_reason tool_calls, and records the job', async () => {
    mock.clearAttempts();
    const completion = await openai.chat.completions.create({
      model: 'keel/openai',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [WEATHER],
      tool_choice: 'required',
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(argsOf(call)).toEqual({ city: 'example', days: 1 });
    // The upstream got the tools, and the call was a job like any other.
    expect(mock.attempts().at(-1)!.request.tools).toEqual(['get_weather']);
    const job = await api.call(
      'GET',
      `/v1/jobs/${completion.id.replace(/^chatcmpl-/, '')}`,
      undefined,
      key,
    );
    expect(job.body).toMatchObject({ status: 'completed', task: 'chat' });
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
  });

  it('streams the call as delta.tool_calls; finalChatCompletion() has it', async () => {
    const stream = openai.chat.completions.stream({
      model: 'keel/openai',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [WEATHER],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      stream_options: { include_usage: true },
    });
    const deltas: unknown[] = [];
    for await (const chunk of stream) deltas.push(...(chunk.choices[0]?.delta?.tool_calls ?? []));
    const final = await stream.finalChatCompletion();
    expect(deltas.length).toBeGreaterThan(0);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(argsOf(call)).toEqual({ city: 'example', days: 1 });
    expect(final.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('a whole exchange: the model calls, the tool result goes back, the answer is text', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Oslo?' },
    ];
    const first = await openai.chat.completions.create({
      model: 'keel/tool-call',
      messages,
      tools: [WEATHER],
    });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]!;
    messages.push(first.choices[0]!.message, {
      role: 'tool',
      tool_call_id: call.id,
      content: '12 degrees and rain',
    });
    const second = await openai.chat.completions.create({
      model: 'keel/tool-call',
      messages,
      tools: [WEATHER],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toBe('The tools answered: 12 degrees and rain');
    // The upstream saw the call and its result in OpenAI's shape.
    const sent = mock.attempts().at(-1)!.request.messages as Array<Record<string, unknown>>;
    expect(sent.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: call.id }] });
    expect(sent.at(-1)).toMatchObject({ role: 'tool', tool_call_id: call.id });
  });

  it('arguments off the tool’s schema are re-asked once, and the corrected call is answered', async () => {
    mock.clearAttempts();
    const completion = await openai.chat.completions.create({
      model: 'keel/bad-args',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [WEATHER],
      tool_choice: 'required',
    });
    expect(argsOf(completion.choices[0]!.message.tool_calls![0])).toEqual({
      city: 'example',
      days: 1,
    });
    const attempts = mock.attempts();
    expect(attempts).toHaveLength(2);
    // The re-ask named the field that broke the schema.
    expect(JSON.stringify(attempts[1]!.request.messages)).toMatch(
      /rejected by validation.*toolCalls\.0\.arguments\.city/,
    );
    const job = await api.call(
      'GET',
      `/v1/jobs/${completion.id.replace(/^chatcmpl-/, '')}`,
      undefined,
      key,
    );
    expect((job.body.steps as Array<{ name: string }>).map((s) => s.name)).toContain('re-ask');
  });

  it('a call that stays off the schema after the re-ask is an error, never a bad call', async () => {
    mock.clearAttempts();
    // The mock's smallest integer (1) is never a multiple of 7: both answers break the schema.
    const strict: OpenAI.Chat.ChatCompletionFunctionTool = {
      type: 'function',
      function: {
        name: 'pick',
        parameters: {
          type: 'object',
          properties: { n: { type: 'integer', minimum: 1, multipleOf: 7 } },
          required: ['n'],
        },
      },
    };
    const err = await raised(
      openai.chat.completions.create({
        model: 'keel/openai',
        messages: [{ role: 'user', content: 'Pick a number' }],
        tools: [strict],
        tool_choice: 'required',
      }),
      OpenAI.APIError,
    );
    expect(err.status).toBe(502);
    expect(err.code).toBe('all-candidates-failed');
    expect(mock.attempts()).toHaveLength(2);
  });

  it('PII in a tool result never reaches the upstream; placeholders in arguments are put back', async () => {
    mock.clearAttempts();
    const email: OpenAI.Chat.ChatCompletionFunctionTool = {
      type: 'function',
      function: {
        name: 'send_email',
        parameters: {
          type: 'object',
          properties: { to: { type: 'string' } },
          required: ['to'],
        },
      },
    };
    const asked = await openai.chat.completions.create({
      model: 'keel/openai',
      messages: [{ role: 'user', content: 'Send the invoice to jane.roe@example.org please.' }],
      tools: [email],
      tool_choice: 'required',
    });
    // The model only saw a placeholder; the caller gets the address back in the arguments.
    expect(argsOf(asked.choices[0]!.message.tool_calls![0])).toEqual({
      to: 'jane.roe@example.org',
    });
    const answered = await openai.chat.completions.create({
      model: 'keel/tool-call',
      messages: [
        { role: 'user', content: 'Who is the customer?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Customer: max.mustermann@example.com' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup' } }],
    });
    const upstream = JSON.stringify(mock.attempts().map((a) => a.request));
    expect(upstream).not.toContain('jane.roe@example.org');
    expect(upstream).not.toContain('max.mustermann@example.com');
    expect(upstream).toMatch(/\[EMAIL_1\]/);
    expect(answered.choices[0]!.message.content).toBe(
      'The tools answered: Customer: max.mustermann@example.com',
    );
  });

  it('the local model calls the first tool with arguments its schema accepts', async () => {
    const completion = await openai.chat.completions.create({
      model: 'local:keel-local-1',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [WEATHER],
      tool_choice: 'required',
    });
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(argsOf(completion.choices[0]!.message.tool_calls![0])).toEqual({
      city: 'example',
      days: 1,
    });
  });

  it('a bad tools schema is a 400 naming the field', async () => {
    const err = await raised(
      openai.chat.completions.create({
        model: 'keel/openai',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'nonsense' } } }],
      }),
      OpenAI.BadRequestError,
    );
    expect(err.param).toBe('tools.0.function.parameters');
    const name = await raised(
      openai.chat.completions.create({
        model: 'keel/openai',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: { name: 'no spaces allowed' } }],
      }),
      OpenAI.BadRequestError,
    );
    expect(name.param).toBe('tools.0.function.name');
  });
});

describe('tools on /v1/messages (@anthropic-ai/sdk client)', () => {
  it('answers a tool_use block with stop_reason tool_use', async () => {
    const message = await anthropic.messages.create({
      model: 'keel/anthropic',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'any' },
    });
    expect(message.stop_reason).toBe('tool_use');
    const block = message.content.find((b) => b.type === 'tool_use');
    expect(block).toMatchObject({ name: 'get_weather', input: { city: 'example', days: 1 } });
  });

  it('streams it: finalMessage() has the tool_use block', async () => {
    const stream = anthropic.messages.stream({
      model: 'keel/anthropic',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'tool', name: 'get_weather' },
    });
    const events: string[] = [];
    for await (const event of stream) events.push(event.type);
    const final = await stream.finalMessage();
    expect(events).toContain('content_block_start');
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      expect.objectContaining({
        type: 'tool_use',
        name: 'get_weather',
        input: { city: 'example', days: 1 },
      }),
    ]);
  });

  it('a whole exchange with tool_result, streamed, and a re-ask of bad arguments', async () => {
    const first = await anthropic.messages.create({
      model: 'keel/anthropic-tool-call',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [WEATHER_TOOL],
    });
    const use = first.content.find((b) => b.type === 'tool_use')!;
    expect(use.type === 'tool_use' && use.id).toMatch(/^toolu_/);
    const stream = anthropic.messages.stream({
      model: 'keel/anthropic-tool-call',
      max_tokens: 256,
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: use.type === 'tool_use' ? use.id : '',
              content: 'Sunny',
            },
          ],
        },
      ],
      tools: [WEATHER_TOOL],
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect(final.content).toHaveLength(1);
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'The tools answered: Sunny' });
    mock.clearAttempts();
    const fixed = await anthropic.messages.create({
      model: 'keel/anthropic-bad-args',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'any' },
    });
    expect(fixed.content.find((b) => b.type === 'tool_use')).toMatchObject({
      input: { city: 'example', days: 1 },
    });
    expect(mock.attempts()).toHaveLength(2);
  });

  it('a bad input_schema is a 400 naming the field', async () => {
    const err = await raised(
      anthropic.messages.create({
        model: 'keel/anthropic',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ name: 'f', input_schema: { type: 'object', properties: { a: { type: 'x' } } } }],
      }),
      Anthropic.BadRequestError,
    );
    expect(JSON.stringify(err.error)).toContain('tools.0.input_schema');
  });
});
