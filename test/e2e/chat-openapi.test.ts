import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormatsPlugin from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * The OpenAPI document against what the OpenAI-compatible paths really send: every body, SSE
 * event and error the server answers here must match the schema the served `/openapi.json` gives
 * for that operation and status (server/openapi-chat.ts describes them by hand, beside the code).
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let key: string;
let ajv: Ajv2020;
const api = tenantApi(() => stack);
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => void;

/** Long enough to pass the stream window before the mock's `stream-cut` breaks the stream. */
const LONG =
  'Please explain, step by step, how the refund for order 4471 will reach my account, ' +
  'which bank days count, what happens if the card has expired in the meantime, and who ' +
  'I should write to if nothing has arrived after ten days.';

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
  const plan = await api.call('PUT', '/v1/admin/plans/chat-spec', {
    id: 'chat-spec',
    name: 'Chat spec',
    aliases: {
      'keel/ok': ['openai:ok'],
      'keel/cut': ['openai:stream-cut'],
      'keel/toxic': ['openai:toxic-output'],
    },
  });
  expect(plan.status, JSON.stringify(plan.body)).toBe(200);
  key = await api.tenant('chat-spec-co', 'chat-spec');
  const served = await stack.call('/openapi.json', { auth: false });
  expect(served.status).toBe(200);
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema((await served.json()) as object, 'served');
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

/** The served document's schema at this path of keys. */
function schemaAt(...keys: string[]): ValidateFunction {
  const pointer = keys.map((k) => k.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
  return ajv.compile({ $ref: `served#/${pointer}` });
}

/** Fails with the schema's complaints when `body` does not match. */
function expectMatches(validate: ValidateFunction, body: unknown, what: string): void {
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `${what}: ${JSON.stringify(body)}`).toEqual([]);
}

const call = (path: string, init: { method?: string; body?: unknown; key?: string } = {}) =>
  stack.call(path, {
    method: init.method ?? 'GET',
    auth: false,
    headers: {
      authorization: `Bearer ${init.key ?? key}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

/** The response's body must be what the document says this operation answers with its status. */
async function expectDocumented(res: Response, path: string, method: string): Promise<any> {
  const media = res.headers.get('content-type')!.split(';')[0]!;
  const body = await res.json();
  expectMatches(
    schemaAt('paths', path, method, 'responses', String(res.status), 'content', media, 'schema'),
    body,
    `${method.toUpperCase()} ${path} ${res.status} ${media}`,
  );
  return body;
}

/** The `data:` payloads of an event stream, in order. */
async function events(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice('data: '.length));
}

const chat = (model: string, extra: object = {}) => ({
  model,
  messages: [{ role: 'user', content: LONG }],
  ...extra,
});

describe('POST /v1/chat/completions against its OpenAPI description', () => {
  it('a completion, and a content_filter finish, are the documented 200 body', async () => {
    const res = await call('/v1/chat/completions', { method: 'POST', body: chat('keel/ok') });
    expect(res.status).toBe(200);
    const body = await expectDocumented(res, '/v1/chat/completions', 'post');
    expect(res.headers.get('x-keel-job-id')).toBe(body.id.replace(/^chatcmpl-/, ''));
    expect(body.keel.meta.provider).toBe('openai');

    const filtered = await call('/v1/chat/completions', {
      method: 'POST',
      body: chat('keel/toxic'),
    });
    expect(filtered.status).toBe(200);
    const refused = await expectDocumented(filtered, '/v1/chat/completions', 'post');
    expect(refused.choices[0].finish_reason).toBe('content_filter');
  });

  it('a stream is documented chunks, then [DONE]', async () => {
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      body: chat('keel/ok', { stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = await events(res);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const chunk = schemaAt('components', 'schemas', 'ChatCompletionChunk');
    for (const c of chunks) expectMatches(chunk, c, 'chunk');
    // The finish carries Keel's member, the usage chunk comes last.
    expect(chunks.find((c) => c.choices[0]?.finish_reason === 'stop')?.keel.jobId).toBeTruthy();
    expect(chunks.at(-1).usage.total_tokens).toBeGreaterThan(0);
  });

  it('a stream broken after its first chunk ends with a documented error event, no [DONE]', async () => {
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      body: chat('keel/cut', { stream: true }),
    });
    expect(res.status).toBe(200);
    const data = await events(res);
    expect(data).not.toContain('[DONE]');
    const last = JSON.parse(data.at(-1)!);
    expect(last.error.code).toBe('stream-interrupted');
    expectMatches(
      schemaAt(
        'paths',
        '/v1/chat/completions',
        'post',
        'responses',
        String(last.error.problem.status),
        'content',
        'application/json',
        'schema',
      ),
      last,
      'error event',
    );
  });

  it('refusals are the documented OpenAI-shaped error of their status', async () => {
    const cases: Array<[number, Response]> = [
      [
        400,
        await call('/v1/chat/completions', {
          method: 'POST',
          body: chat('keel/ok', { tools: [{ type: 'function', function: { name: 'no spaces' } }] }),
        }),
      ],
      [
        401,
        await call('/v1/chat/completions', {
          method: 'POST',
          body: chat('keel/ok'),
          key: 'keel_live_nope',
        }),
      ],
      [404, await call('/v1/chat/completions', { method: 'POST', body: chat('nobody:nothing') })],
      [
        404,
        await call('/v1/chat/completions', {
          method: 'POST',
          body: chat('nobody:nothing', { stream: true }),
        }),
      ],
    ];
    for (const [status, res] of cases) {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      await expectDocumented(res, '/v1/chat/completions', 'post');
    }
  });
});

describe('GET /v1/models against its OpenAPI description', () => {
  it('the list, one model by alias (plain or encoded) and an unknown one', async () => {
    const list = await expectDocumented(await call('/v1/models'), '/v1/models', 'get');
    expect(list.data.map((m: { id: string }) => m.id)).toContain('keel/ok');
    for (const path of ['/v1/models/keel/ok', '/v1/models/keel%2Fok']) {
      const res = await call(path);
      expect(res.status, path).toBe(200);
      expect((await expectDocumented(res, '/v1/models/{id}', 'get')).id).toBe('keel/ok');
    }
    const unknown = await call('/v1/models/keel/nothing');
    expect(unknown.status).toBe(404);
    expect((await expectDocumented(unknown, '/v1/models/{id}', 'get')).error.code).toBe(
      'model-not-found',
    );
  });
});
