import { describe, expect, it } from 'vitest';
import {
  AuthError,
  BudgetExceededError,
  isKeelError,
  JobFailedError,
  Keel,
  KeelConnectionError,
  NotFoundError,
  parseRetryAfter,
  RateLimitedError,
  SseParser,
  UnavailableError,
  ValidationError,
  errorFromProblem,
} from '../../clients/typescript/src/index';
import { retryDelay, DEFAULT_RETRY_POLICY } from '../../clients/typescript/src/retry';

/** The TypeScript client's pure parts and its retry rules, over a scripted fetch. */
const P = 'https://keel.dev/problems/';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');
  it.each([
    ['2', 2_000],
    [' 1.5 ', 1_500],
    ['0', 0],
    ['Mon, 07 Dec 2026 10:00:03 GMT', 3_000],
    ['Mon, 07 Dec 2026 09:59:00 GMT', 0],
    ['', undefined],
    [null, undefined],
    ['soon', undefined],
    ['-1', undefined],
    ['2026-12-07', undefined],
  ])('%j → %j ms', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });

  it('is waited when within the cap, refused past it; backoff otherwise, bounded', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 10_000 };
    expect(retryDelay(1, 3_000, policy)).toBe(3_000);
    expect(retryDelay(1, 30_000, policy)).toBeUndefined();
    expect(retryDelay(1, undefined, policy, () => 1)).toBe(policy.initialDelayMs);
    expect(retryDelay(20, undefined, policy, () => 1)).toBe(policy.maxDelayMs);
    expect(retryDelay(20, undefined, policy, () => 0)).toBe(policy.maxDelayMs / 2);
  });
});

describe('the event-stream parser', () => {
  it('reads events split anywhere, with comments, CRLF, multi-line data and ids', () => {
    const text =
      'retry: 2000\r\n\r\n: keep-alive\n\nevent: job.status\ndata: {"a":1}\n\n' +
      'id: 42\r\nevent: review.requested\r\ndata: line one\r\ndata:line two\r\n\r\n' +
      'data: unnamed\r\rdata: no end';
    // Every split point, including between a CR and its LF.
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(events, `cut at ${cut}`).toEqual([
        { event: 'job.status', data: '{"a":1}' },
        { event: 'review.requested', data: 'line one\nline two', id: '42' },
        { event: 'message', data: 'unnamed' },
      ]);
    }
  });
});

describe('problems → errors', () => {
  it('names the class, keeps the problem, the status, the fields and the wait', () => {
    const invalid = errorFromProblem(
      {
        type: `${P}invalid-request`,
        title: 'Invalid request',
        status: 400,
        detail: 'input.body: Required',
        errors: [{ field: 'input.body', message: 'Required' }],
      },
      400,
    );
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({
      name: 'ValidationError',
      status: 400,
      slug: 'invalid-request',
    });
    expect((invalid as ValidationError).fields).toEqual(['input.body']);
    expect(invalid.message).toBe('input.body: Required');
    expect(isKeelError(invalid)).toBe(true);
    const limited = errorFromProblem(
      { type: `${P}rate-limited`, title: 't', status: 429 },
      429,
      7_000,
    );
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(7_000);
    const failed = errorFromProblem({
      type: `${P}task-failed`,
      title: 't',
      status: 500,
      jobId: 'j-1',
    });
    expect(failed).toBeInstanceOf(JobFailedError);
    expect(failed.jobId).toBe('j-1');
    // A slug this client does not know yet: the class of its status.
    expect(errorFromProblem({ type: `${P}brand-new`, title: 't', status: 404 })).toBeInstanceOf(
      NotFoundError,
    );
    expect(
      errorFromProblem({ type: `${P}budget-exceeded`, title: 't', status: 402 }),
    ).toBeInstanceOf(BudgetExceededError);
  });
});

/** A fetch that answers from a script and records what it was asked. */
function scripted(answers: (Response | Error)[]) {
  const calls: { method: string; url: string; headers: Headers }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({
      method: init?.method ?? 'GET',
      url: input instanceof Request ? input.url : input.toString(),
      headers: new Headers(init?.headers),
    });
    const next = answers.shift() ?? new Error('no more answers');
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  return { fetch, calls };
}
const problem = (slug: string, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: `${P}${slug}`, title: slug, status }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
const ok = (body: unknown) =>
  new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
const answer = {
  jobId: 'classify-ticket-1',
  status: 'completed',
  output: { category: 'BILLING' },
  meta: {},
};
const ticket = { subject: 'Refund', body: 'I was charged twice' };

describe('retries', () => {
  it('a task call: the same Idempotency-Key on every attempt, after Retry-After', async () => {
    const { fetch, calls } = scripted([
      problem('rate-limited', 429, { 'retry-after': '0' }),
      new TypeError('fetch failed'),
      ok(answer),
    ]);
    const keel = new Keel({ baseUrl: 'http://keel.test/', apiKey: 'k', fetch, maxRetries: 2 });
    const result = await keel.tasks.classifyTicket(ticket);
    expect(result.output).toEqual({ category: 'BILLING' });
    expect(calls.map((c) => c.url)).toEqual(
      Array(3).fill('http://keel.test/v1/tasks/classify-ticket'),
    );
    const keys = calls.map((c) => c.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(calls[0]!.headers.get('authorization')).toBe('Bearer k');
  });

  it('gives up after maxRetries with the last error, carrying the wait asked for', async () => {
    const { fetch, calls } = scripted([
      problem('overloaded', 503, { 'retry-after': '0' }),
      problem('overloaded', 503, { 'retry-after': '0' }),
    ]);
    const keel = new Keel({ baseUrl: 'http://keel.test', apiKey: 'k', fetch, maxRetries: 1 });
    const err = await keel.tasks.summarize({ text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).retryAfterMs).toBe(0);
    expect(calls).toHaveLength(2);
  });

  it('does not wait a Retry-After past the cap: the error at once', async () => {
    const { fetch, calls } = scripted([problem('rate-limited', 429, { 'retry-after': '3600' })]);
    const keel = new Keel({ baseUrl: 'http://keel.test', apiKey: 'k', fetch });
    const err = await keel.tasks.classifyTicket(ticket).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(3_600_000);
    expect(calls).toHaveLength(1);
  });

  it('never repeats a POST without an idempotency key, nor an error that is not 429/503', async () => {
    const admin = scripted([problem('tenant-store-unavailable', 503, { 'retry-after': '0' })]);
    const keel = new Keel({ baseUrl: 'http://keel.test', apiKey: 'k', fetch: admin.fetch });
    await expect(keel.admin.tenants.create({ id: 'a', plan: 'pro' })).rejects.toBeInstanceOf(
      UnavailableError,
    );
    expect(admin.calls).toHaveLength(1);
    const auth = scripted([problem('unauthorized', 401)]);
    const keel2 = new Keel({ baseUrl: 'http://keel.test', apiKey: 'k', fetch: auth.fetch });
    await expect(keel2.jobs.get('j')).rejects.toBeInstanceOf(AuthError);
    expect(auth.calls).toHaveLength(1);
  });

  it('a network error with no retry left is a KeelConnectionError with its cause', async () => {
    const { fetch } = scripted([new TypeError('fetch failed')]);
    const keel = new Keel({ baseUrl: 'http://keel.test', apiKey: 'k', fetch, maxRetries: 0 });
    const err = await keel.jobs.get('j').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeelConnectionError);
    expect((err as Error).cause).toBeInstanceOf(TypeError);
  });
});
