import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT_FILES } from '../../server/contract-files';
import { loadConfig } from '../../shared/platform/config';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/processes';

const MAX_BODY = 4096;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ KEEL_MAX_BODY_BYTES: String(MAX_BODY) });
});
afterAll(async () => {
  await stack?.stop();
});

const post = (task: string, body: unknown, init: RequestInit & { auth?: boolean } = {}) =>
  stack.call(`/v1/tasks/${task}`, { method: 'POST', body: JSON.stringify(body), ...init });

async function problem(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  return (await res.json()) as Record<string, unknown>;
}

describe('POST /v1/tasks/{task}', () => {
  it('classifies the README ticket as BILLING with a confidence and meta', async () => {
    const res = await post('classify-ticket', {
      input: { subject: 'Refund', body: 'I was charged twice for my subscription' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/.+/);
    const body = (await res.json()) as any;
    expect(body.status).toBe('completed');
    expect(body.jobId).toMatch(/^classify-ticket-[0-9a-f-]{36}$/);
    expect(body.output.category).toBe('BILLING');
    expect(body.output.confidence).toBeGreaterThanOrEqual(0);
    expect(body.output.confidence).toBeLessThanOrEqual(1);
    expect(body.meta).toMatchObject({
      provider: 'local',
      model: 'keel-local-1',
      promptVersion: 'classify-ticket@1',
      attempts: 1,
      path: 'primary',
    });
    expect(typeof body.meta.latencyMs).toBe('number');
  });

  it('summarises within maxWords, using only sentences from the source', async () => {
    const text =
      'The outage began at 09:12 UTC when the primary database ran out of disk. Writes failed for 41 minutes. ' +
      'Engineers moved traffic to the replica in Frankfurt and restored service at 09:53 UTC. ' +
      'The root cause was a log table that grew without rotation. A retention job now trims it daily.';
    const res = await post('summarize', { input: { text, maxWords: 30 } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.output.summary.split(/\s+/).filter(Boolean).length).toBeLessThanOrEqual(30);
    expect(body.output.keyPoints.length).toBeGreaterThan(0);
    for (const point of body.output.keyPoints as string[])
      expect(text).toContain(point.replace(/…$/, '').trim());
  });

  it('echoes a caller-supplied x-request-id', async () => {
    const res = await post(
      'classify-ticket',
      { input: { body: 'The app crashes on start' } },
      { headers: { 'x-request-id': 'req-abc-123' } },
    );
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
  });

  it('answers 202 with Location when the sync budget is spent, and the job completes', async () => {
    const res = await post('classify-ticket', {
      input: { body: 'I cannot reset my password' },
      options: { maxSyncMs: 0 },
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body.status).toBe('running');
    expect(res.headers.get('location')).toBe(`/v1/jobs/${body.jobId}`);
    let job: any;
    await waitFor(
      'job completed',
      async () => {
        job = await (await stack.call(res.headers.get('location')!)).json();
        return job.status === 'completed';
      },
      { timeoutMs: 20_000 },
    );
    expect(job.output.category).toBe('ACCOUNT');
    expect(job.steps.map((s: any) => s.name)).toEqual([
      'admit',
      'screen',
      'call',
      'validate',
      'record',
    ]);
  });

  it('rejects an input that breaks the task schema with 400 naming the field', async () => {
    const res = await post('classify-ticket', { input: { subject: 'Refund' } });
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p).toMatchObject({ status: 400, type: expect.stringContaining('invalid-request') });
    expect(p.errors).toEqual([expect.objectContaining({ field: 'input.body' })]);
  });

  it('rejects unknown body fields and bad options with their paths', async () => {
    const res = await post('summarize', {
      input: { text: 'Hello there.', maxWords: 5 },
      extra: 1,
      options: { maxSyncMs: -1 },
    });
    expect(res.status).toBe(400);
    const fields = ((await problem(res)).errors as Array<{ field: string }>)
      .map((e) => e.field)
      .sort();
    expect(fields).toEqual(expect.arrayContaining(['(root)', 'options.maxSyncMs']));
    const res2 = await post('summarize', { input: { text: 'Hello there.', maxWords: 5 } });
    expect(((await problem(res2)).errors as Array<{ field: string }>)[0]?.field).toBe(
      'input.maxWords',
    );
  });

  it('answers malformed JSON with 400', async () => {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: '{"input":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).type).toContain('malformed-json');
  });

  it('answers a body over the documented limit with 413 and the limit', async () => {
    const res = await post('summarize', { input: { text: 'word '.repeat(MAX_BODY) } });
    expect(res.status).toBe(413);
    expect(await problem(res)).toMatchObject({ status: 413, limitBytes: MAX_BODY });
  });

  it('answers a non-JSON body with 415', async () => {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: 'body=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    await problem(res);
  });

  it('answers a JSON body in a charset it cannot read with 415 unsupported-media-type', async () => {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({ input: { body: 'x' } }),
      headers: { 'content-type': 'application/json; charset=klingon' },
    });
    expect(res.status).toBe(415);
    expect(await problem(res)).toMatchObject({
      type: 'https://keel.dev/problems/unsupported-media-type',
      detail: 'The body could not be read.',
    });
  });

  it('answers an unknown task with 404', async () => {
    const res = await post('write-poem', { input: {} });
    expect(res.status).toBe(404);
    expect((await problem(res)).type).toContain('unknown-task');
  });

  it('answers a missing or wrong API key with 401 and starts nothing', async () => {
    const missing = await post('classify-ticket', { input: { body: 'x' } }, { auth: false });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await problem(missing);
    const wrong = await post(
      'classify-ticket',
      { input: { body: 'x' } },
      { auth: false, headers: { authorization: 'Bearer not-the-key' } },
    );
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(await problem(wrong))).not.toContain('not-the-key');
  });
});

describe('Idempotency-Key', () => {
  it('a retry whose body has its keys in another order returns the same job, not a 422', async () => {
    const key = `reorder-${Date.now()}`;
    const headers = { 'idempotency-key': key };
    const first = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      headers,
      body: '{"input":{"subject":"Refund","body":"I was charged twice"},"options":{"maxSyncMs":5000,"allowDegraded":true}}',
    });
    expect(first.status).toBe(200);
    const retry = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      headers,
      body: '{"options":{"allowDegraded":true,"maxSyncMs":5000},"input":{"body":"I was charged twice","subject":"Refund"}}',
    });
    expect(retry.status).toBe(200);
    const [a, b] = (await Promise.all([first.json(), retry.json()])) as any[];
    expect(b).toMatchObject({ jobId: a.jobId, output: a.output });
  });
});

describe('GET /v1/jobs/{id}', () => {
  it('returns a completed job with output, meta and steps', async () => {
    const created = (await (
      await post('classify-ticket', { input: { body: 'Error 500 when I open the dashboard' } })
    ).json()) as any;
    const res = await stack.call(`/v1/jobs/${created.jobId}`);
    expect(res.status).toBe(200);
    const job = (await res.json()) as any;
    expect(job).toMatchObject({
      jobId: created.jobId,
      task: 'classify-ticket',
      status: 'completed',
      output: created.output,
    });
    expect(job.meta.promptVersion).toBe('classify-ticket@1');
  });

  it('answers 404 for a job that does not exist', async () => {
    const res = await stack.call('/v1/jobs/classify-ticket-00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect((await problem(res)).type).toContain('job-not-found');
    expect((await stack.call('/v1/jobs/../../etc')).status).toBe(404);
  });
});

describe('operations endpoints', () => {
  it('serves liveness and readiness without a key', async () => {
    expect((await stack.call('/healthz', { auth: false })).status).toBe(200);
    const ready = (await (await stack.call('/readyz', { auth: false })).json()) as any;
    expect(ready.checks).toEqual({
      temporal: 'ok',
      workflowPollers: 'ok',
      activityPollers: 'ok',
      backgroundPollers: 'ok',
    });
  });

  it('serves an OpenAPI document generated from the task schemas, and the docs page', async () => {
    const doc = (await (await stack.call('/openapi.json', { auth: false })).json()) as any;
    // The committed openapi.json, but for this deployment's body limit.
    const committed = readFileSync(CONTRACT_FILES.openapi, 'utf8').replaceAll(
      `Body limit: ${loadConfig({}).maxBodyBytes} bytes.`,
      `Body limit: ${MAX_BODY} bytes.`,
    );
    expect(doc, `${CONTRACT_FILES.openapi} is stale: run \`npm run openapi\``).toEqual(
      JSON.parse(committed),
    );
    expect(doc.openapi).toBe('3.1.0');
    const op = doc.paths['/v1/tasks/classify-ticket'].post;
    expect(op.requestBody.content['application/json'].schema.properties.input.required).toEqual([
      'body',
    ]);
    expect(
      op.responses['200'].content['application/json'].schema.properties.output.properties.category
        .enum,
    ).toEqual(['BILLING', 'TECHNICAL', 'ACCOUNT', 'OTHER']);
    expect(op.parameters.map((p: any) => p.$ref)).toContain(
      '#/components/parameters/IdempotencyKey',
    );
    expect(
      op.requestBody.content['application/json'].schema.properties.options.properties,
    ).toHaveProperty('allowDegraded');
    expect(doc.paths['/v1/providers'].get).toBeDefined();
    const html = await (await stack.call('/docs', { auth: false })).text();
    expect(html).toContain('swagger-ui-bundle.js');
    expect((await stack.call('/docs/assets/swagger-ui-bundle.js', { auth: false })).status).toBe(
      200,
    );
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const res = await stack.call('/v2/nothing');
    expect(res.status).toBe(404);
    await problem(res);
  });
});
