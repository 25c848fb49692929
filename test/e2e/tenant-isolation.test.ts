import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generatePayloadKey } from '../../shared/platform/payload-codec';
import { TASKS } from '../../shared/tasks';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import {
  makeTenant,
  secretsOf,
  sender,
  type Answer,
  type Probe,
  type TenantWorld,
} from '../support/isolation-world';
import {
  MOCK_UPSTREAM_CONFIG,
  startEmbeddedStack,
  upstreamEnv,
  type EmbeddedStack,
} from '../support/stack';

/** A copy of a KEEL_CONFIG file with `encryption.tenantDataKeys` on. */
function withTenantDataKeys(config: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'keel-iso-')), 'keel.json');
  const parsed = JSON.parse(readFileSync(config, 'utf8')) as object;
  writeFileSync(file, JSON.stringify({ ...parsed, encryption: { tenantDataKeys: true } }));
  return file;
}

/**
 * The tenant-isolation matrix: every operation of `GET /openapi.json` and every route the server
 * maps outside it (the codec server, the pages) is in MATRIX, either with the calls that make
 * tenant A's keys name tenant B's objects, or as naming no tenant's object (with the reason).
 * For each row: A's calls are refused without leaking (an object by id: 404, the same as a
 * missing one; a query or body naming another tenant: 403 naming the field; a list: none of B's
 * items) and no answer carries any of B's ids, keys, secrets, ciphertext or input text; then B's
 * own keys make the same calls and get a 2xx (so a row cannot pass because its call was
 * malformed). One real stack: the API with its worker inside, payloads encrypted (the codec
 * server on), webhooks delivered to a receiver on loopback.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let rawConnection: Connection;
let receiver: http.Server;
let a: TenantWorld;
let b: TenantWorld;
/** B's ids, keys, secrets and input text: none may be in an answer to A. */
let bSecrets: string[];
/** When both worlds were made: later rows of the matrix make A's jobs with B's text on purpose. */
let builtAt: number;
const send = sender(() => stack.baseUrl);

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  stack = await startEmbeddedStack({
    // Per-tenant data keys on: their rotation route is a row of the matrix.
    ...upstreamEnv(mock.url, withTenantDataKeys(MOCK_UPSTREAM_CONFIG)),
    KEEL_PAYLOAD_KEYS: generatePayloadKey(),
    KEEL_WEBHOOK_ALLOW_PRIVATE: 'true',
    // Nest's "Mapped {path, METHOD} route" lines: every route the server serves.
    LOG_LEVEL: 'debug',
  });
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  const raw = new Client({ connection: rawConnection });
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const make = (id: string, marker: string): Promise<TenantWorld> =>
    makeTenant({ send, operator: stack.apiKey, id, marker, receiverUrl, raw });
  // B first: its events come before A's in the event log, so a stream of A's replayed from the
  // start would pass B's before reaching its own.
  b = await make('iso-bravo', 'Bravo-4471');
  a = await make('iso-alpha', 'Alpha-1188');
  builtAt = Date.now();
  bSecrets = secretsOf(b);
}, 240_000);

afterAll(async () => {
  await rawConnection?.close();
  await stack?.stop();
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  await mock?.close();
});

type Role = keyof TenantWorld['keys'];
/** A call of the matrix: whose key (a role of a tenant, the operator's) and what it expects. */
interface Call extends Probe {
  as: Role | 'operator';
}
/** A's call naming B's object, and how it must be refused (or, for a list, answered). */
interface Cross extends Call {
  status: number;
  /** The problem's slug (a refusal). */
  type?: string;
  /** The field `errors[]` must name (a query or body naming another tenant). */
  field?: string;
  /** Anything else the answer must show (e.g. a new job, not B's). */
  check?: (res: Answer) => void;
}
/** B's (or the operator's) own call: a 2xx, showing `shows`. */
interface Own extends Call {
  status?: number;
  shows?: string[];
  check?: (res: Answer) => void;
}
interface Row {
  cross: () => Cross[];
  own: () => Own[];
  /** Changes B's object for good (revoke, delete, cancel, decide): its control runs last. */
  destructive?: true;
}
type Entry = Row | { none: string };

const notFound = (type: string): Pick<Cross, 'status' | 'type'> => ({ status: 404, type });
const operatorOnly = (field: string): Pick<Cross, 'status' | 'type' | 'field'> => ({
  status: 403,
  type: 'forbidden',
  field,
});
const decoded = (res: Answer): string =>
  (res.body.payloads as { data: string }[])
    .map((p) => Buffer.from(p.data, 'base64').toString())
    .join('\n');
/** A stream of a tenant's reviews, read until that tenant's own `review.requested` arrives. */
const untilReviewOf =
  (jobId: () => string) =>
  (event: string, data: any): boolean =>
    event === 'review.requested' && data?.jobId === jobId();

/**
 * Every operation: the spec's as `METHOD /path` (the task routes as one row, `/v1/tasks/{task}`),
 * then the routes outside the spec. A new operation fails the coverage tests until it is here.
 */
const MATRIX: Record<string, Entry> = {
  'POST /v1/tasks/{task}': {
    // The only "ids" a task call carries: an Idempotency-Key and a cached request. Both are
    // per tenant: A sending B's key and body gets a new job of its own, not B's or its cache.
    cross: () => [
      {
        as: 'caller',
        method: 'POST',
        path: '/v1/tasks/classify-ticket',
        body: b.jobBody,
        headers: { 'idempotency-key': b.idempotencyKey },
        status: 200,
        check: (res) => expect(res.body.jobId).not.toBe(b.job),
      },
      {
        as: 'caller',
        method: 'POST',
        path: '/v1/tasks/classify-ticket',
        body: b.cachedBody,
        status: 200,
        check: (res) => expect(res.body.meta.path).not.toBe('cache'),
      },
    ],
    own: () => [
      {
        as: 'caller',
        method: 'POST',
        path: '/v1/tasks/classify-ticket',
        body: b.jobBody,
        headers: { 'idempotency-key': b.idempotencyKey },
        check: (res) => expect(res.body.jobId).toBe(b.job),
      },
      {
        as: 'caller',
        method: 'POST',
        path: '/v1/tasks/classify-ticket',
        body: b.cachedBody,
        check: (res) => expect(res.body.meta.path).toBe('cache'),
      },
    ],
  },
  'GET /v1/jobs/{id}': {
    cross: () =>
      [b.job, b.reviewJob].map((id) => ({
        as: 'caller' as const,
        method: 'GET',
        path: `/v1/jobs/${id}`,
        ...notFound('job-not-found'),
      })),
    own: () => [{ as: 'caller', method: 'GET', path: `/v1/jobs/${b.job}`, shows: [b.job] }],
  },
  'GET /v1/jobs/{id}/events': {
    cross: () => [
      {
        as: 'caller',
        method: 'GET',
        path: `/v1/jobs/${b.job}/events`,
        ...notFound('job-not-found'),
      },
      {
        as: 'caller',
        method: 'GET',
        path: `/v1/jobs/${b.job}/events?lastEventId=0`,
        ...notFound('job-not-found'),
      },
      // Its own job's stream replayed from the first event: its events only.
      {
        as: 'caller',
        method: 'GET',
        path: `/v1/jobs/${a.job}/events`,
        headers: { 'last-event-id': '0' },
        status: 200,
      },
    ],
    own: () => [
      {
        as: 'caller',
        method: 'GET',
        path: `/v1/jobs/${b.job}/events`,
        shows: ['event: job.completed', b.job],
      },
    ],
  },
  'POST /v1/jobs/{id}/cancel': {
    cross: () => [
      {
        as: 'caller',
        method: 'POST',
        path: `/v1/jobs/${b.cancelJob}/cancel`,
        ...notFound('job-not-found'),
      },
    ],
    own: () => [{ as: 'caller', method: 'POST', path: `/v1/jobs/${b.cancelJob}/cancel` }],
    destructive: true,
  },
  'GET /v1/reviews': {
    cross: () => [{ as: 'reviewer', method: 'GET', path: '/v1/reviews', status: 200 }],
    own: () => [{ as: 'reviewer', method: 'GET', path: '/v1/reviews', shows: [b.reviewJob] }],
  },
  'GET /v1/reviews/events': {
    // Replayed from the start of the event log, A's queue passes B's events by before its own.
    cross: () => [
      {
        as: 'reviewer',
        method: 'GET',
        path: '/v1/reviews/events',
        headers: { 'last-event-id': '0' },
        until: untilReviewOf(() => a.reviewJob),
        status: 200,
      },
    ],
    own: () => [
      {
        as: 'reviewer',
        method: 'GET',
        path: '/v1/reviews/events',
        headers: { 'last-event-id': '0' },
        until: untilReviewOf(() => b.reviewJob),
        shows: [b.reviewJob],
      },
    ],
  },
  'GET /v1/reviews/{jobId}': {
    cross: () => [
      {
        as: 'reviewer',
        method: 'GET',
        path: `/v1/reviews/${b.reviewJob}`,
        ...notFound('review-not-found'),
      },
    ],
    own: () => [
      { as: 'reviewer', method: 'GET', path: `/v1/reviews/${b.reviewJob}`, shows: [b.reviewJob] },
    ],
  },
  'POST /v1/reviews/{jobId}': {
    cross: () => [
      {
        as: 'reviewer',
        method: 'POST',
        path: `/v1/reviews/${b.reviewJob}`,
        body: { decision: 'approve' },
        ...notFound('review-not-found'),
      },
    ],
    own: () => [
      {
        as: 'reviewer',
        method: 'POST',
        path: `/v1/reviews/${b.reviewJob}`,
        body: { decision: 'approve' },
      },
    ],
    destructive: true,
  },
  'GET /v1/providers': { none: 'platform-wide provider health; names no tenant or object' },
  // Shadow tests: a tenant admin's experiments sample its own tenant's traffic only.
  'POST /v1/admin/experiments': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: '/v1/admin/experiments',
        body: { task: 'classify-ticket', candidateRoute: 'openai:ok', sampleRate: 0, tenant: b.id },
        ...operatorOnly('tenant'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: '/v1/admin/experiments',
        body: { task: 'classify-ticket', candidateRoute: 'openai:ok', sampleRate: 0 },
        status: 201,
        shows: [b.id],
      },
    ],
  },
  'GET /v1/experiments': {
    cross: () => [{ as: 'admin', method: 'GET', path: '/v1/experiments', status: 200 }],
    own: () => [{ as: 'admin', method: 'GET', path: '/v1/experiments', shows: [b.experiment] }],
  },
  'GET /v1/experiments/{id}': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/experiments/${b.experiment}`,
        ...notFound('experiment-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/experiments/${b.experiment}`,
        shows: [b.experiment],
      },
    ],
  },
  'POST /v1/admin/experiments/{id}/stop': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/experiments/${b.experiment}/stop`,
        ...notFound('experiment-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/experiments/${b.experiment}/stop`,
        shows: ['"stopped"'],
      },
    ],
    destructive: true,
  },
  'GET /v1/drift': {
    none: 'platform-wide drift per model and prompt version: counts and statistics, no tenant, key or job id; operator only (a tenant key gets 403)',
  },
  'POST /v1/chat/completions': {
    none: 'takes no ids: `model` is a platform alias; each call is a new job of the caller',
  },
  'GET /v1/models': { none: 'the platform’s model aliases' },
  'GET /v1/models/{id}': { none: '`id` is a model alias, not a tenant’s object' },
  'POST /v1/messages': {
    none: 'takes no ids: `model` is a platform alias; each call is a new job of the caller',
  },
  'POST /v1/batches': {
    // An Idempotency-Key is per tenant: A sending B's key and body makes a batch of its own.
    cross: () => [
      {
        as: 'caller',
        method: 'POST',
        path: '/v1/batches',
        body: b.batchBody,
        headers: { 'idempotency-key': b.batchIdempotencyKey },
        status: 202,
        check: (res) => expect(res.body.batchId).not.toBe(b.batch),
      },
    ],
    own: () => [
      {
        as: 'caller',
        method: 'POST',
        path: '/v1/batches',
        body: b.batchBody,
        headers: { 'idempotency-key': b.batchIdempotencyKey },
        check: (res) => expect(res.body.batchId).toBe(b.batch),
      },
    ],
  },
  'GET /v1/batches/{id}': {
    cross: () =>
      [b.batch, b.runningBatch].map((id) => ({
        as: 'caller' as const,
        method: 'GET',
        path: `/v1/batches/${id}`,
        ...notFound('batch-not-found'),
      })),
    own: () => [{ as: 'caller', method: 'GET', path: `/v1/batches/${b.batch}`, shows: [b.batch] }],
  },
  'GET /v1/batches/{id}/results': {
    cross: () => [
      {
        as: 'caller',
        method: 'GET',
        path: `/v1/batches/${b.batch}/results`,
        ...notFound('batch-not-found'),
      },
    ],
    own: () => [
      { as: 'caller', method: 'GET', path: `/v1/batches/${b.batch}/results`, shows: ['"index":1'] },
    ],
  },
  'GET /v1/batches/{id}/events': {
    cross: () => [
      {
        as: 'caller',
        method: 'GET',
        path: `/v1/batches/${b.batch}/events`,
        ...notFound('batch-not-found'),
      },
      {
        as: 'caller',
        method: 'GET',
        path: `/v1/batches/${b.runningBatch}/events`,
        headers: { 'last-event-id': '0' },
        ...notFound('batch-not-found'),
      },
    ],
    own: () => [
      {
        as: 'caller',
        method: 'GET',
        path: `/v1/batches/${b.batch}/events`,
        shows: ['event: batch.completed', b.batch],
      },
    ],
  },
  'POST /v1/batches/{id}/cancel': {
    cross: () => [
      {
        as: 'caller',
        method: 'POST',
        path: `/v1/batches/${b.runningBatch}/cancel`,
        ...notFound('batch-not-found'),
      },
    ],
    own: () => [{ as: 'caller', method: 'POST', path: `/v1/batches/${b.runningBatch}/cancel` }],
    destructive: true,
  },
  'POST /v1/admin/tenants': {
    // Operator only: B's id is refused as any id is (403), never 409 tenant-exists.
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: '/v1/admin/tenants',
        body: { id: b.id, plan: 'unlimited' },
        status: 403,
        type: 'forbidden',
      },
    ],
    own: () => [
      {
        as: 'operator',
        method: 'POST',
        path: '/v1/admin/tenants',
        body: { id: 'iso-charlie', plan: 'unlimited' },
        status: 201,
      },
    ],
  },
  'GET /v1/admin/tenants': {
    cross: () => [
      { as: 'admin', method: 'GET', path: '/v1/admin/tenants', status: 200 },
      { as: 'admin', method: 'GET', path: '/v1/admin/tenants?after=iso-alpha', status: 200 },
    ],
    own: () => [{ as: 'admin', method: 'GET', path: '/v1/admin/tenants', shows: [b.id] }],
  },
  'GET /v1/admin/tenants/{id}': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/admin/tenants/${b.id}`,
        ...notFound('tenant-not-found'),
      },
    ],
    own: () => [{ as: 'admin', method: 'GET', path: `/v1/admin/tenants/${b.id}`, shows: [b.id] }],
  },
  'PATCH /v1/admin/tenants/{id}': {
    cross: () => [
      {
        as: 'admin',
        method: 'PATCH',
        path: `/v1/admin/tenants/${b.id}`,
        body: { name: 'pwned' },
        ...notFound('tenant-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'PATCH',
        path: `/v1/admin/tenants/${b.id}`,
        body: { name: 'Bravo' },
        shows: ['"name":"Bravo"'],
      },
    ],
  },
  'POST /v1/admin/tenants/{id}/keys': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/tenants/${b.id}/keys`,
        body: { name: 'x', roles: ['caller'] },
        ...notFound('tenant-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/tenants/${b.id}/keys`,
        body: { name: 'x', roles: ['caller'] },
        status: 201,
      },
    ],
  },
  'GET /v1/admin/tenants/{id}/keys': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/admin/tenants/${b.id}/keys`,
        ...notFound('tenant-not-found'),
      },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: `/v1/admin/tenants/${b.id}/keys`, shows: b.keyIds },
    ],
  },
  'POST /v1/admin/tenants/{id}/keys/{keyId}/rotate': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/tenants/${b.id}/keys/${b.spareKeys.rotate}/rotate`,
        body: {},
        ...notFound('tenant-not-found'),
      },
      // B's key under A's own tenant.
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/tenants/${a.id}/keys/${b.spareKeys.rotate}/rotate`,
        body: {},
        ...notFound('key-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/tenants/${b.id}/keys/${b.spareKeys.rotate}/rotate`,
        body: {},
        status: 201,
      },
    ],
    destructive: true,
  },
  'DELETE /v1/admin/tenants/{id}/keys/{keyId}': {
    cross: () => [
      {
        as: 'admin',
        method: 'DELETE',
        path: `/v1/admin/tenants/${b.id}/keys/${b.spareKeys.revoke}`,
        ...notFound('tenant-not-found'),
      },
      {
        as: 'admin',
        method: 'DELETE',
        path: `/v1/admin/tenants/${a.id}/keys/${b.spareKeys.revoke}`,
        ...notFound('key-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'DELETE',
        path: `/v1/admin/tenants/${b.id}/keys/${b.spareKeys.revoke}`,
      },
    ],
    destructive: true,
  },
  'POST /v1/admin/tenants/{id}/data-keys/rotate': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/tenants/${b.id}/data-keys/rotate`,
        ...notFound('tenant-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/admin/tenants/${b.id}/data-keys/rotate`,
        status: 201,
        check: (res) => expect(res.body.keyId).toMatch(new RegExp(`^tenant:${b.id}:\\d+$`)),
      },
    ],
  },
  'POST /v1/admin/tenants/{id}/erase': {
    none: 'operator only: any tenant key gets 403 before the tenant is looked up (test/e2e/erasure.test.ts)',
  },
  'GET /v1/admin/tenants/{id}/erasure': {
    none: 'operator only: any tenant key gets 403 before the tenant is looked up (test/e2e/erasure.test.ts)',
  },
  // The prompt registry: a tenant admin's scope is its own tenant's overrides (and the global
  // versions beside them); naming B is a 403 on the field, A's own list and stats hold none of B's.
  'POST /v1/admin/prompts/{task}/versions': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: '/v1/admin/prompts/classify-ticket/versions',
        body: { system: 'Classify.', userTemplate: '{{input}}', tenant: b.id },
        ...operatorOnly('tenant'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: '/v1/admin/prompts/classify-ticket/versions',
        body: { system: 'Classify.', userTemplate: '{{input}}' },
        status: 201,
        shows: [`classify-ticket@${b.id}.r`],
      },
    ],
  },
  'GET /v1/admin/prompts/{task}/versions': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/admin/prompts/classify-ticket/versions?tenant=${b.id}`,
        ...operatorOnly('query.tenant'),
      },
      {
        as: 'admin',
        method: 'GET',
        path: '/v1/admin/prompts/classify-ticket/versions',
        status: 200,
      },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: '/v1/admin/prompts/classify-ticket/versions' },
      {
        as: 'operator',
        method: 'GET',
        path: `/v1/admin/prompts/classify-ticket/versions?tenant=${b.id}`,
      },
    ],
  },
  'PUT /v1/admin/prompts/{task}/rollout': {
    cross: () => [
      {
        as: 'admin',
        method: 'PUT',
        path: '/v1/admin/prompts/classify-ticket/rollout',
        body: { tenant: b.id, versions: [{ version: 'classify-ticket@1', percent: 100 }] },
        ...operatorOnly('tenant'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'PUT',
        path: '/v1/admin/prompts/classify-ticket/rollout',
        body: { versions: [{ version: 'classify-ticket@1', percent: 100 }] },
      },
    ],
  },
  'GET /v1/admin/prompts/{task}/stats': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/admin/prompts/classify-ticket/stats?tenant=${b.id}`,
        ...operatorOnly('query.tenant'),
      },
      { as: 'admin', method: 'GET', path: '/v1/admin/prompts/classify-ticket/stats', status: 200 },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: '/v1/admin/prompts/classify-ticket/stats' },
      {
        as: 'operator',
        method: 'GET',
        path: `/v1/admin/prompts/classify-ticket/stats?tenant=${b.id}`,
      },
    ],
  },
  'GET /v1/admin/plans': { none: 'plans are the platform’s data, the same for every tenant' },
  'GET /v1/admin/dashboard': {
    none: 'platform-wide figures with no tenant, key or job id in them; operator only (a tenant key gets 403)',
  },
  'PUT /v1/admin/plans/{id}': {
    none: '`id` is a plan, the platform’s data; operator only (a tenant key gets 403)',
  },
  'GET /v1/usage': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/usage?tenant=${b.id}`,
        ...operatorOnly('query.tenant'),
      },
      {
        as: 'admin',
        method: 'GET',
        path: '/v1/usage?groupBy=tenant',
        ...operatorOnly('query.groupBy'),
      },
      // Its own usage by key: its keys only.
      { as: 'admin', method: 'GET', path: '/v1/usage?groupBy=key', status: 200 },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: `/v1/usage?tenant=${b.id}` },
      { as: 'admin', method: 'GET', path: '/v1/usage?groupBy=key', shows: [b.keyIds[1]!] },
    ],
  },
  // Sampled evaluations (docs/evaluation.md): a tenant admin reads its own tenant's counts only.
  'GET /v1/evaluations': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/evaluations?tenant=${b.id}`,
        ...operatorOnly('query.tenant'),
      },
      { as: 'admin', method: 'GET', path: '/v1/evaluations', status: 200 },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: `/v1/evaluations?tenant=${b.id}` },
      { as: 'operator', method: 'GET', path: `/v1/evaluations?tenant=${b.id}&groupBy=day` },
    ],
  },
  // Debug samples (docs/debug-samples.md): both tenants opted in; an admin reads its own only.
  'GET /v1/admin/debug-samples': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/admin/debug-samples?tenant=${b.id}`,
        ...operatorOnly('query.tenant'),
      },
      // Up to when the worlds were made: the task rows' cross calls make A's own jobs of B's
      // text (a shared idempotency key, a cached body), and A's samples of them are A's.
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/admin/debug-samples?limit=100&to=${new Date(builtAt).toISOString()}`,
        status: 200,
        check: (res) => expect(res.body.items.length).toBeGreaterThan(0),
      },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: '/v1/admin/debug-samples?limit=100', shows: [b.job] },
      { as: 'operator', method: 'GET', path: `/v1/admin/debug-samples?tenant=${b.id}` },
    ],
  },
  'GET /v1/audit': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/audit?tenant=${b.id}`,
        ...operatorOnly('query.tenant'),
      },
      {
        as: 'admin',
        method: 'GET',
        path: '/v1/audit?tenant=_platform',
        ...operatorOnly('query.tenant'),
      },
      // A job id filters A's own chain: nothing of B's job.
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/audit?jobId=${b.job}`,
        status: 200,
        check: (res) => expect(res.body.items).toEqual([]),
      },
      { as: 'admin', method: 'GET', path: '/v1/audit', status: 200 },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: `/v1/audit?tenant=${b.id}`, shows: [b.keyIds[0]!] },
      { as: 'admin', method: 'GET', path: `/v1/audit?jobId=${b.job}`, shows: ['job.completed'] },
    ],
  },
  'GET /v1/audit/verify': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/audit/verify?tenant=${b.id}`,
        ...operatorOnly('query.tenant'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/audit/verify?tenant=${b.id}`,
        check: (res) => expect(res.body).toMatchObject({ ok: true, tenants: 1 }),
      },
    ],
  },
  'POST /v1/webhooks': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: '/v1/webhooks',
        body: { url: 'http://127.0.0.1:9/x', events: ['job.failed'], tenant: b.id },
        ...operatorOnly('tenant'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: '/v1/webhooks',
        body: { url: 'http://127.0.0.1:9/x', events: ['job.failed'], tenant: b.id },
        status: 201,
      },
    ],
  },
  'GET /v1/webhooks': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/webhooks?tenant=${b.id}`,
        ...operatorOnly('query.tenant'),
      },
      { as: 'admin', method: 'GET', path: '/v1/webhooks', status: 200 },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: `/v1/webhooks?tenant=${b.id}`, shows: [b.webhook] },
      { as: 'admin', method: 'GET', path: '/v1/webhooks', shows: [b.webhook] },
    ],
  },
  'GET /v1/webhooks/{id}': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/webhooks/${b.webhook}`,
        ...notFound('webhook-not-found'),
      },
    ],
    own: () => [
      { as: 'admin', method: 'GET', path: `/v1/webhooks/${b.webhook}`, shows: [b.webhook] },
    ],
  },
  'PATCH /v1/webhooks/{id}': {
    cross: () => [
      {
        as: 'admin',
        method: 'PATCH',
        path: `/v1/webhooks/${b.webhook}`,
        body: { url: 'http://127.0.0.1:9/stolen' },
        ...notFound('webhook-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'PATCH',
        path: `/v1/webhooks/${b.webhook}`,
        body: { description: 'bravo' },
        shows: ['"description":"bravo"'],
      },
    ],
  },
  'DELETE /v1/webhooks/{id}': {
    cross: () => [
      {
        as: 'admin',
        method: 'DELETE',
        path: `/v1/webhooks/${b.spareWebhook}`,
        ...notFound('webhook-not-found'),
      },
    ],
    own: () => [{ as: 'admin', method: 'DELETE', path: `/v1/webhooks/${b.spareWebhook}` }],
    destructive: true,
  },
  'POST /v1/webhooks/{id}/rotate-secret': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/webhooks/${b.webhook}/rotate-secret`,
        body: {},
        ...notFound('webhook-not-found'),
      },
    ],
    own: () => [
      { as: 'admin', method: 'POST', path: `/v1/webhooks/${b.webhook}/rotate-secret`, body: {} },
    ],
    destructive: true,
  },
  'GET /v1/webhooks/{id}/deliveries': {
    cross: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/webhooks/${b.webhook}/deliveries`,
        ...notFound('webhook-not-found'),
      },
      // B's delivery as the cursor of A's own log: the answer an unknown id gets.
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/webhooks/${a.webhook}/deliveries?before=${b.delivery}`,
        status: 400,
        type: 'invalid-request',
        field: 'query.before',
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'GET',
        path: `/v1/webhooks/${b.webhook}/deliveries`,
        shows: [b.delivery],
      },
    ],
  },
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': {
    cross: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/webhooks/${b.webhook}/deliveries/${b.delivery}/redeliver`,
        ...notFound('webhook-not-found'),
      },
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/webhooks/${a.webhook}/deliveries/${b.delivery}/redeliver`,
        ...notFound('delivery-not-found'),
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/v1/webhooks/${b.webhook}/deliveries/${b.delivery}/redeliver`,
        status: 202,
        shows: [b.delivery],
      },
    ],
    destructive: true,
  },
  'GET /healthz': { none: 'public liveness; no tenant data' },
  'GET /readyz': { none: 'public readiness; no tenant data' },

  // Outside openapi.json: the codec server and the pages.
  'POST /codec/decode': {
    cross: () => [
      // B's stored payload under B's job: the job is not found.
      {
        as: 'admin',
        method: 'POST',
        path: `/codec/decode?workflowId=${b.job}`,
        body: { payloads: b.payloads },
        ...notFound('job-not-found'),
      },
      {
        as: 'admin',
        method: 'POST',
        path: '/codec/decode',
        headers: { 'x-keel-workflow-id': b.job },
        body: { payloads: b.payloads },
        ...notFound('job-not-found'),
      },
      // B's payload smuggled under A's own job: not stored there.
      {
        as: 'admin',
        method: 'POST',
        path: `/codec/decode?workflowId=${a.job}`,
        body: { payloads: b.payloads },
        status: 403,
        type: 'forbidden',
      },
      // As the Web UI asks, naming no job: a tenant admin must name one.
      {
        as: 'admin',
        method: 'POST',
        path: '/codec/decode',
        body: { payloads: b.payloads },
        status: 403,
        type: 'forbidden',
      },
    ],
    own: () => [
      {
        as: 'admin',
        method: 'POST',
        path: `/codec/decode?workflowId=${b.job}`,
        body: { payloads: b.payloads },
        check: (res) => expect(decoded(res)).toContain(b.marker),
      },
    ],
  },
  'POST /codec/encode': { none: 'encrypts what the caller sends; names no job' },
  'GET /codec': { none: 'the static sign-in page' },
  'POST /codec/session': { none: 'puts the caller’s own key in its cookie' },
  'DELETE /codec/session': { none: 'clears the caller’s cookie' },
  'GET /review': { none: 'the reviewer’s static page (its data comes from /v1/reviews)' },
  'GET /dashboard': {
    none: 'the operator’s static page (its data comes from /v1/admin/dashboard)',
  },
  'GET /docs': { none: 'public Swagger UI' },
  'GET /docs/assets/docs-init.js': { none: 'public Swagger UI script' },
  'GET /openapi.json': { none: 'the public API description' },
  'GET /metrics': { none: 'Prometheus metrics: labels never carry a tenant, key or job id' },
};

/** The spec's operations, the task routes as one. */
function specOperations(spec: { paths: Record<string, Record<string, unknown>> }): string[] {
  const tasks = new Set(Object.keys(TASKS).map((t) => `/v1/tasks/${t}`));
  const ops = new Set<string>();
  for (const [path, item] of Object.entries(spec.paths))
    for (const method of Object.keys(item))
      if (['get', 'put', 'post', 'patch', 'delete', 'head', 'options', 'trace'].includes(method))
        ops.add(`${method.toUpperCase()} ${tasks.has(path) ? '/v1/tasks/{task}' : path}`);
  return [...ops].sort();
}

/** A route as Nest maps it (`/v1/jobs/:id`, `/v1/models/*id`) or as the spec writes it. */
const shape = (op: string): string => op.replace(/(\{[^}]+\}|:[A-Za-z]+|\*[A-Za-z]+)/g, '{}');

const keyOf = (world: TenantWorld, as: Call['as']): string =>
  as === 'operator' ? stack.apiKey : world.keys[as];

/** An id of the same shape that names nothing: its last four characters zeroed. */
const ghostOf = (id: string): string => `${id.slice(0, -4)}0000`;

/**
 * A 404 for B's object must be the answer a missing one gets: the same call with each of B's
 * ids in its path and headers replaced by a ghost answers the same body (ids put back).
 */
async function assertSameAsMissing(call: Call, res: Answer): Promise<void> {
  const named = bSecrets.filter(
    (s) => call.path.includes(s) || JSON.stringify(call.headers ?? {}).includes(s),
  );
  expect(named.length, `${call.path} names none of B's ids`).toBeGreaterThan(0);
  const swap = (text: string, from: (id: string) => string, to: (id: string) => string): string =>
    named.reduce((t, id) => t.replaceAll(from(id), to(id)), text);
  const ghost: Call = {
    ...call,
    path: swap(call.path, (id) => id, ghostOf),
    ...(call.headers
      ? { headers: JSON.parse(swap(JSON.stringify(call.headers), (id) => id, ghostOf)) }
      : {}),
  };
  const missing = await send(ghost, keyOf(a, call.as));
  expect(missing.status, ghost.path).toBe(404);
  expect(
    swap(missing.text, ghostOf, (id) => id),
    `${call.path} vs ${ghost.path}`,
  ).toBe(res.text);
}

/** B's secrets that A's request itself did not carry (an id A sent may be echoed back). */
function assertNoLeak(call: Call, res: Answer): void {
  const sent = JSON.stringify([call.path, call.body, call.headers]);
  for (const secret of bSecrets.filter((s) => !sent.includes(s)))
    expect(res.text, `${call.method} ${call.path} leaks ${secret}`).not.toContain(secret);
}

/** The routes the server maps that openapi.json does not describe: the codec server, the pages. */
const OUTSIDE_SPEC = [
  'POST /codec/decode',
  'POST /codec/encode',
  'GET /codec',
  'POST /codec/session',
  'DELETE /codec/session',
  'GET /review',
  'GET /dashboard',
  'GET /docs',
  'GET /docs/assets/docs-init.js',
  'GET /openapi.json',
  'GET /metrics',
];

const rows = Object.entries(MATRIX).filter((e): e is [string, Row] => !('none' in e[1]));
const unclassified = Object.entries(MATRIX).flatMap(([op, e]) =>
  'none' in e ? [[op, e.none] as const] : [],
);

describe('the matrix covers every operation', () => {
  it('has exactly the operations of GET /openapi.json (plus the routes outside it)', async () => {
    const spec = await send({ method: 'GET', path: '/openapi.json' });
    expect(spec.status).toBe(200);
    const inSpec = specOperations(spec.body);
    const outside = Object.keys(MATRIX).filter((op) => !inSpec.includes(op));
    expect(
      inSpec.filter((op) => !(op in MATRIX)),
      'operations missing from MATRIX',
    ).toEqual([]);
    // Nothing left in MATRIX that the spec dropped: what is not in it is the known list.
    expect(outside.sort()).toEqual([...OUTSIDE_SPEC].sort());
    console.log(
      `tenant isolation: ${inSpec.length} operations in openapi.json + ${outside.length} outside it; ` +
        `${rows.length} name a tenant's object (${rows.reduce((n, [, r]) => n + r.cross().length, 0)} cross-tenant calls), ` +
        `${unclassified.length} do not`,
    );
  });

  it('has exactly the routes the server maps', () => {
    const mapped = [...stack.server.output().matchAll(/Mapped \{([^,}]+), ([A-Z]+)\} route/g)].map(
      (m) => shape(`${m[2]} ${m[1]}`),
    );
    expect(mapped.length).toBeGreaterThan(40);
    expect([...new Set(mapped)].sort()).toEqual(
      [...new Set(Object.keys(MATRIX).map(shape))].sort(),
    );
  });
});

describe('A’s keys on B’s objects', () => {
  it.each(rows)('%s: refused, nothing of B’s in the answer', async (op, row) => {
    for (const call of row.cross()) {
      const res = await send(call, keyOf(a, call.as));
      const what = `${op} as A's ${call.as}: ${call.method} ${call.path}`;
      expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBe(call.status);
      if (call.type) {
        expect(res.headers.get('content-type'), what).toContain('application/problem+json');
        expect(res.body.type, what).toBe(`https://keel.dev/problems/${call.type}`);
      }
      if (call.field)
        expect(
          res.body.errors?.map((e: { field: string }) => e.field),
          what,
        ).toContain(call.field);
      call.check?.(res);
      assertNoLeak(call, res);
      if (call.status === 404) await assertSameAsMissing(call, res);
    }
  });

  it.each(unclassified.filter(([op]) => op.startsWith('GET ')))(
    '%s names no tenant’s object (%s): A’s answer still shows nothing of B’s',
    async (op) => {
      const path = op.slice(4).replace('{id}', 'keel/fast');
      const res = await send({ method: 'GET', path }, a.keys.admin);
      expect(res.status, `${op}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
      assertNoLeak({ as: 'admin', method: 'GET', path }, res);
    },
  );

  it('changed nothing of B’s', async () => {
    const get = async (path: string, as: Call['as']): Promise<any> => {
      const res = await send({ method: 'GET', path }, keyOf(b, as));
      expect(res.status, path).toBe(200);
      return res.body;
    };
    expect((await get(`/v1/admin/tenants/${b.id}`, 'admin')).name).toBe(b.id);
    const keys = (await get(`/v1/admin/tenants/${b.id}/keys`, 'admin')).items;
    expect(keys.map((k: { id: string }) => k.id).sort()).toEqual([...b.keyIds].sort());
    for (const k of keys) expect(k, k.name).toMatchObject({ revokedAt: null, expiresAt: null });
    expect(await get(`/v1/webhooks/${b.webhook}`, 'admin')).toMatchObject({
      url: expect.stringMatching(new RegExp(`/${b.id}$`)),
      previousSecretExpiresAt: null,
    });
    expect((await get(`/v1/webhooks/${b.spareWebhook}`, 'admin')).id).toBe(b.spareWebhook);
    for (const job of [b.reviewJob, b.cancelJob])
      expect((await get(`/v1/jobs/${job}`, 'caller')).status).toBe('awaiting_review');
    expect((await get(`/v1/batches/${b.runningBatch}`, 'caller')).status).toBe('running');
  });
});

describe('B’s own keys on the same objects (the positive control)', () => {
  const ordered = [
    ...rows.filter(([, r]) => !r.destructive),
    ...rows.filter(([, r]) => r.destructive),
  ];
  it.each(ordered)('%s: 2xx', async (op, row) => {
    for (const call of row.own()) {
      const res = await send(call, keyOf(b, call.as));
      const what = `${op} as B's ${call.as}: ${call.method} ${call.path}`;
      if (call.status) expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBe(call.status);
      else expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
      expect(res.status, what).toBeLessThan(300);
      for (const s of call.shows ?? []) expect(res.text, `${what} shows ${s}`).toContain(s);
      call.check?.(res);
    }
  });
});
