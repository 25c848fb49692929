import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { expect } from 'vitest';
import { waitFor } from './processes';

/** A request as the isolation matrix sends it: the key of one of a tenant's roles, or none. */
export interface Probe {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** A stream that does not end by itself: read events until this says stop. */
  until?: (event: string, data: any) => boolean;
}

/** What came back: status, headers, the raw text, and the JSON body when there is one. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** A payload as Temporal's codec server protocol carries it (base64 metadata and data). */
export interface CodecPayload {
  metadata: Record<string, string>;
  data: string;
}

/** One tenant with one object of every kind that has an id, made through the API. */
export interface TenantWorld {
  id: string;
  /** Text in every input this tenant sent: found in a response, it leaked. */
  marker: string;
  keys: { caller: string; reviewer: string; admin: string };
  /** Every key's id (the three above and the spares). */
  keyIds: string[];
  /** Keys kept for the destructive controls: rotated, revoked. */
  spareKeys: { rotate: string; revoke: string };
  /** A completed classify-ticket job, started with `idempotencyKey`. */
  job: string;
  idempotencyKey: string;
  /** The body of `job`, and of a second job sent with `cacheTtlMs` (`cachedBody`). */
  jobBody: unknown;
  cachedBody: unknown;
  /** Jobs waiting for review (`options.review: always`); the second one is cancelled. */
  reviewJob: string;
  cancelJob: string;
  /** A completed batch (sent with `batchIdempotencyKey`, body `batchBody`), and one whose items
   * wait for review (cancelled by the controls). */
  batch: string;
  batchIdempotencyKey: string;
  batchBody: unknown;
  runningBatch: string;
  /** A webhook endpoint subscribed to job.completed, its delivered delivery, a spare endpoint. */
  webhook: string;
  webhookSecret: string;
  delivery: string;
  spareWebhook: string;
  /** The input payloads of `job` as its history stores them (encrypted). */
  payloads: CodecPayload[];
  /** A shadow test of its classify-ticket traffic (rate 0: it never samples a job). */
  experiment: string;
}

/** JSON (or JSONL, or SSE) calls to the API with a given key. */
export type Send = (probe: Probe, key?: string) => Promise<Answer>;

export function sender(baseUrl: () => string): Send {
  return async (probe, key) => {
    const headers = new Headers(probe.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    if (probe.body !== undefined) headers.set('content-type', 'application/json');
    const abort = new AbortController();
    const res = await fetch(`${baseUrl()}${probe.path}`, {
      method: probe.method,
      headers,
      signal: abort.signal,
      ...(probe.body !== undefined ? { body: JSON.stringify(probe.body) } : {}),
    });
    const text = await readBody(res, probe.until);
    abort.abort();
    let body: any = {};
    try {
      body =
        text && !res.headers.get('content-type')?.includes('event-stream') ? JSON.parse(text) : {};
    } catch {
      // JSONL results, HTML pages, Prometheus text: compared as text.
    }
    return { status: res.status, headers: res.headers, text, body };
  };
}

/** The whole body; for a stream with `until`, what arrived up to the event it stops at. */
async function readBody(res: Response, until: Probe['until']): Promise<string> {
  if (!until || !res.headers.get('content-type')?.includes('event-stream')) return res.text();
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += value;
    for (const block of text.split('\n\n').slice(0, -1)) {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && until(event, data ? JSON.parse(data) : undefined)) {
        await reader.cancel();
        return text;
      }
    }
  }
}

const ok = (res: Answer, status: number, what: string): any => {
  expect(res.status, `${what}: ${res.text.slice(0, 500)}`).toBe(status);
  return res.body;
};

/**
 * Makes tenant `id` through the operator's key (`operator`) and then, with its own keys, one
 * object of every kind: jobs (sync, idempotent, cached, waiting for review), batches, webhook
 * endpoints with a delivered delivery (to `receiverUrl`), spare keys; reads its job's stored
 * input with `raw` (a Temporal client without the codec).
 */
export async function makeTenant(args: {
  send: Send;
  operator: string;
  id: string;
  marker: string;
  receiverUrl: string;
  raw: Client;
}): Promise<TenantWorld> {
  const { send, operator, id, marker } = args;
  ok(
    await send(
      {
        method: 'POST',
        path: '/v1/admin/tenants',
        // Opted in to debug samples: every job's calls are kept, for the isolation of their list.
        body: { id, plan: 'unlimited', overrides: { debugSamples: { rate: 1, retentionDays: 1 } } },
      },
      operator,
    ),
    201,
    'tenant',
  );
  const key = async (name: string, roles: string[]): Promise<{ id: string; key: string }> =>
    ok(
      await send(
        { method: 'POST', path: `/v1/admin/tenants/${id}/keys`, body: { name, roles } },
        operator,
      ),
      201,
      `key ${name}`,
    );
  const admin = await key('admin', ['admin']);
  const caller = await key('caller', ['caller']);
  const reviewer = await key('reviewer', ['reviewer']);
  const rotate = await key('rotate-me', ['caller']);
  const revoke = await key('revoke-me', ['caller']);

  const webhook = ok(
    await send(
      {
        method: 'POST',
        path: '/v1/webhooks',
        body: { url: `${args.receiverUrl}/${id}`, events: ['job.completed'] },
      },
      admin.key,
    ),
    201,
    'webhook',
  );
  const spare = ok(
    await send(
      {
        method: 'POST',
        path: '/v1/webhooks',
        body: { url: `${args.receiverUrl}/${id}/spare`, events: ['batch.completed'] },
      },
      admin.key,
    ),
    201,
    'spare webhook',
  );

  const ticket = (suffix: string): { subject: string; body: string } => ({
    subject: 'Refund',
    body: `${marker} was charged twice (${suffix})`,
  });
  const idempotencyKey = `isolation-${id}`;
  const jobBody = { input: ticket('sync') };
  const job = ok(
    await send(
      {
        method: 'POST',
        path: '/v1/tasks/classify-ticket',
        body: jobBody,
        headers: { 'idempotency-key': idempotencyKey },
      },
      caller.key,
    ),
    200,
    'sync job',
  ).jobId as string;
  const cachedBody = { input: ticket('cached'), options: { cacheTtlMs: 600_000 } };
  ok(
    await send({ method: 'POST', path: '/v1/tasks/classify-ticket', body: cachedBody }, caller.key),
    200,
    'cached job',
  );
  const reviewed = async (suffix: string): Promise<string> =>
    ok(
      await send(
        {
          method: 'POST',
          path: '/v1/tasks/classify-ticket',
          body: { input: ticket(suffix), options: { review: 'always', maxSyncMs: 0 } },
        },
        caller.key,
      ),
      202,
      `job for review (${suffix})`,
    ).jobId as string;
  const reviewJob = await reviewed('review');
  const cancelJob = await reviewed('to cancel');

  const batchIdempotencyKey = `isolation-batch-${id}`;
  const batchBody = { task: 'classify-ticket', items: [ticket('batch 1'), ticket('batch 2')] };
  const batch = ok(
    await send(
      {
        method: 'POST',
        path: '/v1/batches',
        body: batchBody,
        headers: { 'idempotency-key': batchIdempotencyKey },
      },
      caller.key,
    ),
    202,
    'batch',
  ).batchId as string;
  const runningBatch = ok(
    await send(
      {
        method: 'POST',
        path: '/v1/batches',
        body: { task: 'classify-ticket', options: { review: 'always' }, items: [ticket('held')] },
      },
      caller.key,
    ),
    202,
    'batch held for review',
  ).batchId as string;

  const until = (what: string, check: () => Promise<boolean>): Promise<void> =>
    waitFor(`${id}: ${what}`, check, { timeoutMs: 60_000 });
  const jobStatus = async (jobId: string): Promise<string> =>
    (await send({ method: 'GET', path: `/v1/jobs/${jobId}` }, caller.key)).body.status;
  await until('reviews pending', async () =>
    (await Promise.all([reviewJob, cancelJob].map(jobStatus))).every(
      (s) => s === 'awaiting_review',
    ),
  );
  await until(
    'batch completed',
    async () =>
      (await send({ method: 'GET', path: `/v1/batches/${batch}` }, caller.key)).body.status ===
      'completed',
  );
  let delivery = '';
  await until('a delivery delivered', async () => {
    const page = await send(
      { method: 'GET', path: `/v1/webhooks/${webhook.id}/deliveries` },
      admin.key,
    );
    delivery = page.body.items?.find((d: { state: string }) => d.state === 'delivered')?.id ?? '';
    return delivery !== '';
  });

  const experiment = await send(
    {
      method: 'POST',
      path: '/v1/admin/experiments',
      body: { task: 'classify-ticket', candidateRoute: 'local:keel-local-1', sampleRate: 0 },
    },
    admin.key,
  );
  ok(experiment, 201, 'experiment');

  const history = await args.raw.workflow.getHandle(job).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payloads = (started?.input?.payloads ?? []).map((p: temporal.api.common.v1.IPayload) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  }));
  expect(payloads.length).toBeGreaterThan(0);

  return {
    id,
    marker,
    keys: { caller: caller.key, reviewer: reviewer.key, admin: admin.key },
    keyIds: [admin.id, caller.id, reviewer.id, rotate.id, revoke.id],
    spareKeys: { rotate: rotate.id, revoke: revoke.id },
    job,
    idempotencyKey,
    jobBody,
    cachedBody,
    reviewJob,
    cancelJob,
    batch,
    batchIdempotencyKey,
    batchBody,
    runningBatch,
    webhook: webhook.id,
    webhookSecret: webhook.secret,
    delivery,
    spareWebhook: spare.id,
    payloads,
    experiment: experiment.body.id as string,
  };
}

/**
 * Everything of `world` that must never appear in another tenant's answers: its ids, keys,
 * secrets, the payload ciphertext and the marker of its inputs.
 */
export function secretsOf(world: TenantWorld): string[] {
  return [
    world.id,
    world.marker,
    world.job,
    world.reviewJob,
    world.cancelJob,
    world.batch,
    world.runningBatch,
    world.experiment,
    world.webhook,
    world.webhookSecret,
    world.delivery,
    world.spareWebhook,
    ...world.keyIds,
    ...Object.values(world.keys),
    ...world.payloads.map((p) => p.data),
  ];
}
