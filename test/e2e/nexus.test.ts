import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  ApplicationFailure,
  Client,
  Connection,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { NexusOperationFailure, type PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  EncryptionCodec,
  generatePayloadKey,
  parsePayloadKeys,
} from '../../shared/platform/payload-codec';
import { ensureNexusEndpoint } from '../../temporal/nexus-endpoint';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import type { classifyThroughKeel, classifyUnlessGivenUp } from '../support/nexus-caller-workflows';
import { waitFor } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Keel's tasks as Nexus operations, end to end on the real dev server: Keel (API and worker
 * processes, the mock upstream behind them) serves the `keel` Nexus service for the tenant its
 * endpoint is configured for; a workflow of another team runs in a namespace of its own, on a
 * worker of its own, and calls `classifyTicket` through the endpoint. No API key on that side.
 */
const suffix = randomUUID().slice(0, 8);
const CALLER_NAMESPACE = `callers-${suffix}`;
const CALLER_QUEUE = `nexus-callers-${suffix}`;
const ENDPOINT = `keel-${suffix}`;
/** An endpoint for a tenant whose plan has no budget left (made in its test). */
const BROKE_ENDPOINT = `keel-broke-${suffix}`;
const BROKE_TENANT = `nexus-broke-${suffix}`;

let mock: MockUpstream;
let stack: Stack;
let connection: Connection;
let callers: Client;
let keel: Client;
let callerConnection: NativeConnection;
const callerWorkers: { worker: Worker; running: Promise<void> }[] = [];
const api = tenantApi(() => stack);

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 20_000, p99Ms: 20_000 }, seed: 5 });
  stack = await startStack({
    ...upstreamEnv(mock.url),
    KEEL_NEXUS_ENDPOINTS: `${ENDPOINT}=demo,${BROKE_ENDPOINT}=${BROKE_TENANT}`,
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  keel = new Client({ connection, namespace: 'default' });
  // The other team's namespace, as an operator creates it.
  execFileSync(inject('temporalCliPath'), [
    'operator',
    'namespace',
    'create',
    '--namespace',
    CALLER_NAMESPACE,
    '--address',
    inject('temporalAddress'),
  ]);
  await ensureNexusEndpoint(connection, {
    name: ENDPOINT,
    targetNamespace: 'default',
    targetTaskQueue: stack.taskQueue,
  });
  callers = new Client({ connection, namespace: CALLER_NAMESPACE });
  callerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  // A namespace just created takes a moment to reach every server component.
  await waitFor(
    'the caller namespace is served',
    async () => {
      try {
        callerWorkers.push(await callerWorker(CALLER_QUEUE));
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000 },
  );
}, 180_000);

/** A worker of the other team, running the caller workflows in their namespace. */
async function callerWorker(
  taskQueue: string,
  dataConverter?: { payloadCodecs: PayloadCodec[] },
): Promise<{ worker: Worker; running: Promise<void> }> {
  const worker = await Worker.create({
    connection: callerConnection,
    namespace: CALLER_NAMESPACE,
    taskQueue,
    workflowsPath: path.join(__dirname, '../support/nexus-caller-workflows.ts'),
    ...(dataConverter ? { dataConverter } : {}),
  });
  return { worker, running: worker.run() };
}

afterAll(async () => {
  for (const w of callerWorkers) w.worker.shutdown();
  await Promise.all(callerWorkers.map((w) => w.running));
  await callerConnection?.close();
  await connection?.close();
  await stack?.stop();
  await mock?.close();
});

const ticket = (marker: string) => ({
  subject: 'Refund',
  body: `${marker}: I was charged twice for my subscription`,
});

async function runCaller(
  workflow: 'classifyThroughKeel',
  args: Parameters<typeof classifyThroughKeel>[0],
): Promise<WorkflowHandle<typeof classifyThroughKeel>>;
async function runCaller(
  workflow: 'classifyUnlessGivenUp',
  args: Parameters<typeof classifyUnlessGivenUp>[0],
): Promise<WorkflowHandle<typeof classifyUnlessGivenUp>>;
async function runCaller(workflow: string, args: unknown): Promise<WorkflowHandle> {
  return callers.workflow.start(workflow, {
    taskQueue: CALLER_QUEUE,
    workflowId: `${workflow}-${randomUUID()}`,
    args: [args],
  });
}

/** The Nexus operation's failure a caller workflow ended with (the test fails if it succeeded). */
async function operationFailure(handle: WorkflowHandle): Promise<NexusOperationFailure> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const operation = (err as WorkflowFailedError).cause;
  expect(operation).toBeInstanceOf(NexusOperationFailure);
  return operation as NexusOperationFailure;
}

/** Everything the caller's namespace recorded for a workflow, as one string. */
async function callerHistory(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  return JSON.stringify(history, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
  );
}

async function job(jobId: string): Promise<any> {
  const res = await stack.call(`/v1/jobs/${jobId}`);
  return { status: res.status, body: await res.json() };
}

describe('a workflow in another namespace calling Keel over Nexus', () => {
  it('gets the validated output, the job id and the meta; its history holds no API key', async () => {
    const handle = await runCaller('classifyThroughKeel', {
      endpoint: ENDPOINT,
      input: ticket(`nexus-ok-${suffix}`),
      options: { route: ['openai:ok'] },
    });
    const result = await handle.result();
    expect(result.output).toMatchObject({ category: expect.any(String) });
    expect(result.meta).toMatchObject({ provider: 'openai', model: 'ok', path: 'primary' });
    // The job is Keel's like any other, for the endpoint's tenant: the API reads it.
    const seen = await job(result.jobId);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ status: 'completed', output: result.output });
    const jobWorkflow = await keel.workflow.getHandle(result.jobId).describe();
    expect(jobWorkflow.typedSearchAttributes.getAll()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: expect.objectContaining({ name: 'KeelTenant' }),
          value: 'demo',
        }),
      ]),
    );
    const history = await callerHistory(handle);
    expect(history).toContain(result.jobId);
    expect(history).not.toContain(stack.apiKey);
    // Billed to the endpoint's tenant under its plan, as an HTTP call would be.
    const usage = await api.call('GET', '/v1/usage?groupBy=task&tenant=demo');
    const row = (
      usage.body.rows as Array<{ group: { task: string }; calls: number; costUsd: number }>
    ).find((r) => r.group.task === 'classify-ticket');
    expect(row?.calls).toBeGreaterThan(0);
    expect(row?.costUsd).toBeGreaterThan(0);
  });

  it('goes through the tenant’s plan: a spent budget refuses the operation with budget-exceeded', async () => {
    const plan = await api.call('PUT', `/v1/admin/plans/${BROKE_TENANT}`, {
      id: BROKE_TENANT,
      name: 'Broke',
      monthlyBudgetUsd: 0,
      overBudget: 'reject',
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    await api.tenant(BROKE_TENANT, BROKE_TENANT);
    await ensureNexusEndpoint(connection, {
      name: BROKE_ENDPOINT,
      targetNamespace: 'default',
      targetTaskQueue: stack.taskQueue,
    });
    const marker = `nexus-broke-${suffix}`;
    const handle = await runCaller('classifyThroughKeel', {
      endpoint: BROKE_ENDPOINT,
      input: ticket(marker),
    });
    const operation = await operationFailure(handle);
    const problem = operation.cause as ApplicationFailure;
    expect(problem).toBeInstanceOf(ApplicationFailure);
    expect(problem.type).toBe('budget-exceeded');
    expect(problem.details?.[0]).toMatchObject({ status: 402 });
    // Refused at the door: no model call was made for it.
    expect(mock.attempts().filter((a) => JSON.stringify(a.request).includes(marker))).toEqual([]);
  });

  it('fails with the problem typed: an input that breaks the schema is invalid-request, naming the field', async () => {
    const handle = await runCaller('classifyThroughKeel', {
      endpoint: ENDPOINT,
      input: { subject: 'Refund', body: '' },
    });
    const operation = await operationFailure(handle);
    const problem = operation.cause;
    expect(problem).toBeInstanceOf(ApplicationFailure);
    expect((problem as ApplicationFailure).type).toBe('invalid-request');
    expect((problem as ApplicationFailure).nonRetryable).toBe(true);
    expect((problem as ApplicationFailure).details?.[0]).toMatchObject({
      type: 'https://keel.dev/problems/invalid-request',
      status: 400,
      jobId: expect.stringMatching(/^classify-ticket-/),
    });
    // Keel's own failure is its cause, with the fields it names.
    const keelFailure = (problem as ApplicationFailure).cause as ApplicationFailure;
    expect(keelFailure.type).toBe('InvalidInput');
    expect(JSON.stringify(keelFailure.details)).toContain('input.body');
  });

  it('cancelled mid-call: the Keel job ends cancelled and the upstream sees the connection close', async () => {
    const marker = `nexus-cancel-${suffix}`;
    const handle = await runCaller('classifyUnlessGivenUp', {
      endpoint: ENDPOINT,
      input: ticket(marker),
      options: { route: ['openai:slow'] },
    });
    const mine = () => mock.attempts().filter((a) => JSON.stringify(a.request).includes(marker));
    await waitFor('the call reaches the upstream', () => mine().length === 1, {
      timeoutMs: 30_000,
    });

    await handle.signal('giveUp');
    expect(await handle.result()).toBe('gave up');
    // Keel hangs up on every call it made (one, or a local activity's call and its continuation
    // as a regular activity when the local one's deadline came before the cancel reached it:
    // see test/e2e/job-events.test.ts).
    await waitFor(
      'the upstream saw Keel hang up on every call',
      () => mine().length > 0 && mine().every((a) => a.closedBy === 'client'),
      { timeoutMs: 20_000 },
    );
    expect(mine().length).toBeLessThanOrEqual(2);

    const cancelled = [];
    for await (const wf of keel.workflow.list({
      query: `TaskQueue = '${stack.taskQueue}' AND WorkflowType = 'runTask' AND ExecutionStatus = 'Canceled'`,
    }))
      cancelled.push(wf.workflowId);
    expect(cancelled).toHaveLength(1);
    const seen = await job(cancelled[0]!);
    expect(seen.body).toMatchObject({ status: 'cancelled' });
    expect(await callerHistory(handle)).not.toContain(stack.apiKey);
  });

  it('refuses a call through an endpoint Keel has no tenant for', async () => {
    const stranger = `keel-stranger-${suffix}`;
    await ensureNexusEndpoint(connection, {
      name: stranger,
      targetNamespace: 'default',
      targetTaskQueue: stack.taskQueue,
    });
    const handle = await runCaller('classifyThroughKeel', {
      endpoint: stranger,
      input: ticket(`nexus-stranger-${suffix}`),
    });
    const operation = await operationFailure(handle);
    expect(operation.cause?.message).toContain('KEEL_NEXUS_ENDPOINTS');
  });
});

describe('with payload encryption on (npm start encrypts by default)', () => {
  const keys = generatePayloadKey();
  const endpoint = `keel-encrypted-${suffix}`;
  const queue = `${CALLER_QUEUE}-keel-codec`;
  const codec = new EncryptionCodec(parsePayloadKeys(keys));
  let encrypted: Stack;

  beforeAll(async () => {
    encrypted = await startStack({
      ...upstreamEnv(mock.url),
      KEEL_NEXUS_ENDPOINTS: `${endpoint}=demo`,
      KEEL_PAYLOAD_KEYS: keys,
    });
    await ensureNexusEndpoint(connection, {
      name: endpoint,
      targetNamespace: 'default',
      targetTaskQueue: encrypted.taskQueue,
    });
    // The operation's result is encrypted with Keel's key: the caller reads it with Keel's codec.
    callerWorkers.push(await callerWorker(queue, { payloadCodecs: [codec] }));
  }, 180_000);
  afterAll(async () => {
    await encrypted?.stop();
  });

  it("a caller whose worker has Keel's codec gets the output; no history holds it in clear", async () => {
    const marker = `nexus-encrypted-${suffix}`;
    // The other team's client reads its workflows' results with the same codec.
    const codecClient = new Client({
      connection,
      namespace: CALLER_NAMESPACE,
      dataConverter: { payloadCodecs: [codec] },
    });
    const handle = await codecClient.workflow.start<typeof classifyThroughKeel>(
      'classifyThroughKeel',
      {
        taskQueue: queue,
        workflowId: `classifyThroughKeel-${randomUUID()}`,
        args: [{ endpoint, input: ticket(marker), options: { route: ['openai:ok'] } }],
      },
    );
    const result = await handle.result();
    expect(result.output).toMatchObject({ category: expect.any(String) });
    expect(result.meta).toMatchObject({ model: 'ok' });
    const history = await callerHistory(handle);
    expect(history).not.toContain(marker);
    expect(history).not.toContain(result.output.rationale);
    const wrapper = await callerHistory(keel.workflow.getHandle(`nexus-${result.jobId}`));
    expect(wrapper).not.toContain(marker);
  });
});
