/** The real `openai` SDK against the mock: happy path, usage accounting, and every error status. */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/index';
import { startMockUpstream } from '../mock-upstream/index';
import { TICKET_PROMPT, openai, openaiParams, rejection } from './helpers';

let mock: MockUpstream;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockUpstream({ seed: 7 });
  client = openai(mock.url);
});
afterAll(() => mock.close());
beforeEach(() => mock.clearAttempts());

describe('ok', () => {
  it('answers classify_ticket correctly, with usage equal to the attempts log', async () => {
    const { data, response } = await client.chat.completions
      .create(openaiParams('ok'))
      .withResponse();
    const choice = completion(data);
    expect(choice.finish_reason).toBe('stop');
    const answer = JSON.parse(choice.message.content ?? '');
    expect(answer.category).toBe('BILLING');
    expect(answer.confidence).toBeGreaterThanOrEqual(0);
    expect(answer.confidence).toBeLessThanOrEqual(1);
    expect(typeof answer.rationale).toBe('string');
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9999');

    const [attempt] = mock.attempts();
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(attempt).toMatchObject({
      api: 'openai',
      scenario: 'ok',
      status: 200,
      stream: false,
      billed: true,
      requestId: response.headers.get('x-request-id'),
      inputTokens: data.usage?.prompt_tokens,
      outputTokens: data.usage?.completion_tokens,
    });
    expect(attempt?.request.messages).toEqual(openaiParams('ok').messages);
  });

  it('streams the same content, then usage, then [DONE]', async () => {
    const whole = completion(await client.chat.completions.create(openaiParams('ok')));
    const stream = await client.chat.completions.create({
      ...openaiParams('ok'),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(whole.message.content);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(mock.attempts().at(-1)?.outputTokens);
  });

  it('answers a request that is not a Keel task with plain text', async () => {
    const data = await client.chat.completions.create({
      model: 'ok',
      messages: [{ role: 'user', content: 'Hello there, how are you today?' }],
    });
    expect(completion(data).message.content).toBe(
      'This is a mock completion for: Hello there, how are you today?',
    );
  });
});

describe('errors', () => {
  it.each([
    ['429-retry-after', 'retry-after', '2'],
    ['429-retry-after-ms', 'retry-after-ms', '1500'],
  ])('%s: RateLimitError 429 with %s', async (model, header, value) => {
    const error = await rejection(client.chat.completions.create(openaiParams(model)));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.headers.get(header)).toBe(value);
    expect(error.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('429-http-date: retry-after is an HTTP date in the future', async () => {
    const error = await rejection(client.chat.completions.create(openaiParams('429-http-date')));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const when = Date.parse(error.headers.get('retry-after'));
    expect(Number.isNaN(when)).toBe(false);
    // HTTP dates have one-second resolution, hence the slack.
    expect(when).toBeGreaterThan(Date.now());
  });

  it('429-bare: no retry hint at all', async () => {
    const error = await rejection(client.chat.completions.create(openaiParams('429-bare')));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers.get('retry-after')).toBeNull();
    expect(error.headers.get('retry-after-ms')).toBeNull();
  });

  it('500-once: first call 500, identical second call succeeds', async () => {
    const first = await rejection(client.chat.completions.create(openaiParams('500-once')));
    expect(first).toBeInstanceOf(OpenAI.InternalServerError);
    expect(first.status).toBe(500);
    const second = await client.chat.completions.create(openaiParams('500-once'));
    expect(JSON.parse(completion(second).message.content ?? '').category).toBe('BILLING');
    expect(mock.attempts().map((a) => [a.status, a.billed])).toEqual([
      [500, false],
      [200, true],
    ]);
  });

  it.each([
    ['503', 503, OpenAI.InternalServerError, null],
    ['529', 503, OpenAI.InternalServerError, 'overloaded'],
    ['401', 401, OpenAI.AuthenticationError, 'invalid_api_key'],
    ['400-context', 400, OpenAI.BadRequestError, 'context_length_exceeded'],
    ['no-such-model', 404, OpenAI.NotFoundError, 'model_not_found'],
  ])('%s: %i %o', async (model, status, ErrorClass, code) => {
    const error = await rejection(client.chat.completions.create(openaiParams(model)));
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.status).toBe(status);
    expect(error.code ?? null).toBe(code);
    expect(mock.attempts()[0]).toMatchObject({ status, billed: false, outputTokens: 0 });
  });

  it('reset: APIConnectionError, logged with status 0', async () => {
    const error = await rejection(client.chat.completions.create(openaiParams('reset')));
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(error).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(mock.attempts()[0]).toMatchObject({ scenario: 'reset', status: 0, billed: false });
  });

  it('hang: APIConnectionTimeoutError with a short client timeout', async () => {
    const error = await rejection(
      openai(mock.url, 300).chat.completions.create(openaiParams('hang')),
    );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(mock.attempts()[0]).toMatchObject({ scenario: 'hang', status: 0, billed: false });
  });

  it('content-filter: billed 200 with no content and a refusal', async () => {
    const choice = completion(await client.chat.completions.create(openaiParams('content-filter')));
    expect(choice.finish_reason).toBe('content_filter');
    expect(choice.message.content).toBeNull();
    expect(choice.message.refusal).toMatch(/can't help/);
    expect(mock.attempts()[0]).toMatchObject({ status: 200, billed: true });
  });

  it('records what left the client, including the rendered input', async () => {
    await rejection(client.chat.completions.create(openaiParams('503')));
    const request = mock.attempts()[0]?.request;
    expect(request?.messages).toContainEqual({ role: 'user', content: TICKET_PROMPT });
  });
});

function completion(data: OpenAI.Chat.ChatCompletion): OpenAI.Chat.ChatCompletion.Choice {
  const choice = data.choices[0];
  if (!choice) throw new Error('no choice in completion');
  return choice;
}
