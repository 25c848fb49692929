/** The real `@anthropic-ai/sdk` against the mock: forced tool answers, streaming, error statuses. */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/index';
import { startMockUpstream } from '../mock-upstream/index';
import { anthropic, anthropicParams, rejection } from './helpers';

let mock: MockUpstream;
let client: Anthropic;

beforeAll(async () => {
  mock = await startMockUpstream({ seed: 7 });
  client = anthropic(mock.url);
});
afterAll(() => mock.close());
beforeEach(() => mock.clearAttempts());

function toolInput(message: Anthropic.Message): any {
  const block = message.content.find((b) => b.type === 'tool_use');
  if (block?.type !== 'tool_use') throw new Error('no tool_use block');
  expect(block.name).toBe('classify_ticket');
  return block.input;
}

describe('ok', () => {
  it('answers the forced classify_ticket tool correctly, usage equal to the attempts log', async () => {
    const { data, response } = await client.messages.create(anthropicParams('ok')).withResponse();
    expect(data.stop_reason).toBe('tool_use');
    const answer = toolInput(data);
    expect(answer.category).toBe('BILLING');
    expect(answer.confidence).toBeGreaterThanOrEqual(0);
    expect(answer.confidence).toBeLessThanOrEqual(1);
    expect(typeof answer.rationale).toBe('string');
    expect(data.id).toMatch(/^msg_/);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('3999');

    const [attempt] = mock.attempts();
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(attempt).toMatchObject({
      api: 'anthropic',
      scenario: 'ok',
      status: 200,
      billed: true,
      inputTokens: data.usage.input_tokens,
      outputTokens: data.usage.output_tokens,
      request: { messages: anthropicParams('ok').messages, system: anthropicParams('ok').system },
    });
  });

  it('messages.stream() reassembles the same tool input and usage', async () => {
    const whole = await client.messages.create(anthropicParams('ok'));
    const final = await client.messages.stream(anthropicParams('ok')).finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(toolInput(final)).toEqual(toolInput(whole));
    expect(final.usage.output_tokens).toBe(whole.usage.output_tokens);
    expect(mock.attempts().map((a) => a.stream)).toEqual([false, true]);
  });

  it('streams plain text when no tool is forced', async () => {
    const stream = client.messages.stream({
      model: 'ok',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hello there, how are you today?' }],
    });
    expect(await stream.finalText()).toBe(
      'This is a mock completion for: Hello there, how are you today?',
    );
  });
});

describe('errors', () => {
  it.each(['429-retry-after', '429-retry-after-ms'])(
    '%s: RateLimitError, retry-after 2',
    async (model) => {
      const error = await rejection(client.messages.create(anthropicParams(model)));
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      expect(error.status).toBe(429);
      expect(error.type).toBe('rate_limit_error');
      expect(error.headers.get('retry-after')).toBe('2');
      expect(error.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    },
  );

  it('429-http-date: retry-after parses to a future date; 429-bare has none', async () => {
    const dated = await rejection(client.messages.create(anthropicParams('429-http-date')));
    expect(Date.parse(dated.headers.get('retry-after'))).toBeGreaterThan(Date.now());
    const bare = await rejection(client.messages.create(anthropicParams('429-bare')));
    expect(bare).toBeInstanceOf(Anthropic.RateLimitError);
    expect(bare.headers.get('retry-after')).toBeNull();
  });

  it('529: OverloadedError with overloaded_error', async () => {
    const error = await rejection(client.messages.create(anthropicParams('529')));
    // SDK 1.x has a dedicated 529 class; it still extends InternalServerError for older catch-alls.
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(529);
    expect(error.type).toBe('overloaded_error');
  });

  it.each([
    ['503', 503, Anthropic.ServiceUnavailableError, 'api_error'],
    ['401', 401, Anthropic.AuthenticationError, 'authentication_error'],
    ['400-context', 400, Anthropic.BadRequestError, 'invalid_request_error'],
    ['no-such-model', 404, Anthropic.NotFoundError, 'not_found_error'],
  ])('%s: %i %o', async (model, status, ErrorClass, type) => {
    const error = await rejection(client.messages.create(anthropicParams(model)));
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.status).toBe(status);
    expect(error.type).toBe(type);
    expect(mock.attempts()[0]).toMatchObject({ status, billed: false });
  });

  it('400-context carries the vendor message', async () => {
    const error = await rejection(client.messages.create(anthropicParams('400-context')));
    expect(error.message).toContain('prompt is too long: 250000 tokens > 200000 maximum');
  });

  it('500-once: first 500, identical retry 200', async () => {
    const first = await rejection(client.messages.create(anthropicParams('500-once')));
    expect(first).toBeInstanceOf(Anthropic.InternalServerError);
    expect(first.status).toBe(500);
    const second = await client.messages.create(anthropicParams('500-once'));
    expect(toolInput(second).category).toBe('BILLING');
  });

  it('reset: APIConnectionError; hang: APIConnectionTimeoutError', async () => {
    const reset = await rejection(client.messages.create(anthropicParams('reset')));
    expect(reset).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(reset).not.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const hang = await rejection(anthropic(mock.url, 300).messages.create(anthropicParams('hang')));
    expect(hang).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(mock.attempts().map((a) => [a.scenario, a.status, a.billed])).toEqual([
      ['reset', 0, false],
      ['hang', 0, false],
    ]);
  });

  it('content-filter: billed 200 with stop_reason refusal', async () => {
    const message = await client.messages.create(anthropicParams('content-filter'));
    expect(message.stop_reason).toBe('refusal');
    expect(message.content).toEqual([]);
    expect(mock.attempts()[0]).toMatchObject({ status: 200, billed: true });
  });
});
