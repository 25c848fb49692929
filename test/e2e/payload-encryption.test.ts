import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generatePayloadKey, parsePayloadKeys } from '../../shared/platform/payload-codec';
import {
  configuredHooks,
  createTemporalConnector,
} from '../../shared/platform/temporal-connection';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { storedText } from '../support/history-text';
import { waitFor } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * Encrypted histories, end to end: the real API and worker processes with KEEL_PAYLOAD_KEYS,
 * the suite's Temporal dev server, and a plain client without the codec reading what Temporal
 * stores. Then the codec server: who may decode what.
 */
const UI_ORIGIN = 'http://127.0.0.1:8233';
const KEYS = `${generatePayloadKey()},${generatePayloadKey()}`;
const MARKER = 'Zanzibar-7731 charged twice';

type Json = any;
let stack: Stack;
let mock: MockUpstream;
let raw: Client;
let rawConnection: Connection;

async function call(method: string, path: string, body?: unknown, key?: string | null) {
  const res = await stack.call(path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(key !== undefined
      ? { headers: key ? { authorization: `Bearer ${key}` } : {}, auth: false }
      : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}

const classify = (body: string, key?: string, options?: object) =>
  call(
    'POST',
    '/v1/tasks/classify-ticket',
    { input: { subject: 'Refund', body }, ...(options ? { options } : {}) },
    key,
  );

const historyOf = (jobId: string) => raw.workflow.getHandle(jobId).fetchHistory();

/** The job's input as Temporal stores it (the start event's payloads), in codec JSON. */
async function storedInput(jobId: string): Promise<{ metadata: Json; data: string }[]> {
  const started = (await historyOf(jobId)).events?.[0]?.workflowExecutionStartedEventAttributes;
  return (started?.input?.payloads ?? []).map((p: temporal.api.common.v1.IPayload) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  }));
}
const decodedText = (body: Json): string =>
  (body.payloads as { data: string }[]).map((p) => Buffer.from(p.data, 'base64')).join('\n');

let demoJob: string;
let acmeJob: string;
const acme = { admin: '', caller: '' };

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startStack({
    ...upstreamEnv(mock.url),
    KEEL_PAYLOAD_KEYS: KEYS,
    KEEL_CODEC_CORS_ORIGINS: UI_ORIGIN,
    LOG_LEVEL: 'info', // the decodes' log lines
  });
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  raw = new Client({ connection: rawConnection });
  expect((await call('POST', '/v1/admin/tenants', { id: 'acme', plan: 'unlimited' })).status).toBe(
    201,
  );
  for (const role of ['admin', 'caller'] as const) {
    const key = await call('POST', '/v1/admin/tenants/acme/keys', { name: role, roles: [role] });
    expect(key.status).toBe(201);
    acme[role] = key.body.key;
  }
  const demo = await classify(`${MARKER}, demo tenant`);
  expect(demo.status).toBe(200);
  demoJob = demo.body.jobId;
  const own = await classify(`${MARKER}, acme`, acme.caller);
  expect(own.status).toBe(200);
  acmeJob = own.body.jobId;
}, 180_000);

afterAll(async () => {
  await rawConnection?.close();
  await stack?.stop();
  await mock?.close();
});

describe('payloads encrypted in Temporal', () => {
  it('the history as stored holds ciphertext; the API and a client with the codec read it', async () => {
    const job = await call('GET', `/v1/jobs/${demoJob}`);
    expect(job.body).toMatchObject({ status: 'completed', output: { category: 'BILLING' } });

    const stored = storedText(await historyOf(demoJob));
    expect(stored).not.toContain('Zanzibar');
    expect(stored).not.toContain('BILLING'); // the result too
    expect(stored).toContain('binary/encrypted');
    // Under the demo tenant's data key (on by default), named by reference, never the key.
    expect(stored).toContain('tenant:demo:1');
    expect(stored).not.toContain(KEYS.split(',')[0]!.split(':')[1]);

    // Search attributes are not encrypted: they carry ids and enums only. The memo is encrypted.
    const desc = await rawConnection.workflowService.describeWorkflowExecution({
      namespace: 'default',
      execution: { workflowId: demoJob },
    });
    const attributes = storedText({
      events: [
        {
          workflowExecutionStartedEventAttributes: {
            searchAttributes: desc.workflowExecutionInfo?.searchAttributes,
          },
        },
      ],
    });
    expect(attributes).toContain('classify-ticket');
    expect(attributes).not.toContain('Zanzibar');
    for (const field of Object.values(desc.workflowExecutionInfo?.memo?.fields ?? {}))
      expect(Buffer.from(field.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');

    // Through the codec (the connector with the same keys), the input reads back.
    const temporal = createTemporalConnector(
      { address: inject('temporalAddress'), namespace: 'default', embedded: false },
      // The same keys and tenant store (where the tenants' sealed data keys are).
      configuredHooks({ payloadKeys: parsePayloadKeys(KEYS), dataDir: stack.env.KEEL_DATA_DIR }),
    );
    const { client, close } = await temporal.openClient();
    try {
      const result = await client.workflow.getHandle(demoJob).result();
      expect(result.output.category).toBe('BILLING');
      const [input] = await temporal.hooks.dataConverter!.payloadCodecs![0]!.decode(
        (await historyOf(demoJob)).events![0]!.workflowExecutionStartedEventAttributes!.input!
          .payloads as never,
      );
      expect(Buffer.from(input!.data!).toString()).toContain(MARKER);
    } finally {
      await close();
    }
  });

  it('failure messages and stack traces are encoded too', async () => {
    const failed = await classify(`${MARKER}, failing`, undefined, {
      route: ['openai:401'],
      allowDegraded: false,
    });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    const jobId = failed.body.jobId as string;
    expect(jobId).toBeTruthy();
    const events = (await historyOf(jobId)).events ?? [];
    const failures = events.flatMap((e) =>
      [
        e.activityTaskFailedEventAttributes?.failure,
        e.workflowExecutionFailedEventAttributes?.failure,
      ].filter((f): f is temporal.api.failure.v1.IFailure => !!f),
    );
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.message).toBe('Encoded failure');
      expect(failure.stackTrace ?? '').toBe('');
      expect(Buffer.from(failure.encodedAttributes?.metadata?.encoding ?? []).toString()).toBe(
        'binary/encrypted',
      );
    }
    expect(storedText({ events })).not.toMatch(/HTTP 401|invalid_api_key|Zanzibar/);
    // The API decodes them: the caller still learns why.
    expect(failed.body).toMatchObject({
      status: 502,
      reasons: [expect.stringMatching(/HTTP 401/)],
    });
  });
});

describe('codec server', () => {
  it('the platform operator decodes any job and encodes; responses are in the codec format', async () => {
    const payloads = await storedInput(demoJob);
    const res = await call('POST', '/codec/decode', { payloads });
    expect(res.status).toBe(200);
    expect(decodedText(res.body)).toContain(`${MARKER}, demo tenant`);
    expect(Buffer.from(res.body.payloads[0].metadata.encoding, 'base64').toString()).toBe(
      'json/plain',
    );
    const other = await call('POST', '/codec/decode', { payloads: await storedInput(acmeJob) });
    expect(decodedText(other.body)).toContain(`${MARKER}, acme`);

    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('"hi"').toString('base64'),
    };
    const encoded = await call('POST', '/codec/encode', { payloads: [plain] });
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].data, 'base64').toString()).not.toContain('hi');
    const back = await call('POST', '/codec/decode', encoded.body);
    expect(back.body.payloads).toEqual([plain]);
  });

  it('no key 401; a caller key 403; a payload that does not decode: 400 naming the key id', async () => {
    const payloads = await storedInput(demoJob);
    expect((await call('POST', '/codec/decode', { payloads }, null)).status).toBe(401);
    const caller = await call('POST', '/codec/decode', { payloads }, acme.caller);
    expect(caller.status).toBe(403);
    expect(JSON.stringify(caller.body)).not.toContain('Zanzibar');
    const foreign = [
      {
        ...payloads[0]!,
        metadata: {
          ...payloads[0]!.metadata,
          'encryption-key-id': Buffer.from('gone-1').toString('base64'),
        },
      },
    ];
    const bad = await call('POST', '/codec/decode', { payloads: foreign });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/key "gone-1", which is not configured/);
  });

  it('a tenant admin decodes its own jobs only, and only payloads stored in them', async () => {
    const own = await storedInput(acmeJob);
    const demo = await storedInput(demoJob);
    // As the Web UI asks (no job named): refused.
    const unnamed = await call('POST', '/codec/decode', { payloads: own }, acme.admin);
    expect(unnamed.status).toBe(403);
    const ok = await call(
      'POST',
      `/codec/decode?workflowId=${acmeJob}`,
      { payloads: own },
      acme.admin,
    );
    expect(ok.status).toBe(200);
    expect(decodedText(ok.body)).toContain(`${MARKER}, acme`);
    // Who read which job's payloads is logged (the log line is the record, for now).
    const logged = (): string | undefined =>
      stack.server
        .output()
        .split('\n')
        .find((l) => l.includes('"codec.decode"') && l.includes(acmeJob));
    await waitFor('the decode logged', () => logged() !== undefined, { timeoutMs: 5_000 });
    const line = logged();
    expect(JSON.parse(line!)).toMatchObject({
      msg: 'payloads decoded',
      tenant: 'acme',
      actor: 'admin',
      operator: false,
      workflowId: acmeJob,
      payloads: 1,
    });
    expect(line).not.toContain('Zanzibar');
    // Another tenant's job is not found; another tenant's payload under its own job is refused.
    const theirs = await call(
      'POST',
      `/codec/decode?workflowId=${demoJob}`,
      { payloads: demo },
      acme.admin,
    );
    expect(theirs.status).toBe(404);
    const smuggled = await call(
      'POST',
      `/codec/decode?workflowId=${acmeJob}`,
      { payloads: demo },
      acme.admin,
    );
    expect(smuggled.status).toBe(403);
    expect(JSON.stringify([theirs.body, smuggled.body])).not.toContain('Zanzibar');
  });

  it('signs a browser in with a cookie (HttpOnly, /codec only) for an admin or operator key', async () => {
    const page = await fetch(`${stack.baseUrl}/codec`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const refused = await call('POST', '/codec/session', undefined, acme.caller);
    expect(refused.status).toBe(403);
    const session = await call('POST', '/codec/session');
    expect(session.status).toBe(204);
    const cookie = session.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^keel_codec=[^;]+; Path=\/codec; HttpOnly; SameSite=Strict; Max-Age=28800$/,
    );
    const payloads = await storedInput(demoJob);
    const viaCookie = await fetch(`${stack.baseUrl}/codec/decode`, {
      method: 'POST',
      headers: { cookie: cookie.split(';')[0]!, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads }),
    });
    expect(viaCookie.status).toBe(200);
    expect(decodedText(await viaCookie.json())).toContain(MARKER);
    const out = await call('DELETE', '/codec/session', undefined, null);
    expect(out.headers.get('set-cookie')).toMatch(/^keel_codec=; .*Max-Age=0$/);
  });

  it('answers the Web UI’s CORS preflight for its origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.baseUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const ui = await preflight(UI_ORIGIN);
    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ui.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ui.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect(ui.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const elsewhere = await preflight('http://evil.example');
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    const res = await call('POST', '/codec/decode', { payloads: await storedInput(demoJob) });
    expect(res.headers.get('access-control-allow-origin')).toBeNull(); // no Origin sent
  });
});
