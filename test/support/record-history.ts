/**
 * Records the replay fixtures in test/fixtures/histories: runs Keel's real worker (the real
 * activities, breakers and review queue) against the mock upstream, through an OpenAI-compatible
 * provider named `compat`, drives each path a workflow can take, and saves every history.
 *
 *   npm run record:histories                          own dev server; overwrites the files
 *   npm run record:histories -- --suffix <patch-id>   keeps them; writes <name>-<patch-id>.json
 *   npm run record:histories -- --address 127.0.0.1:7233 --out /tmp/histories
 *   npm run record:histories -- --only <name>[,<name>]   only those fixtures (a new one, say)
 *
 * Re-record after a deliberate workflow change. A change behind `patched()` must keep the old
 * files (histories still in flight take the old path): record with `--suffix <patch-id>`.
 * Inputs are synthetic (no PII); the only secrets are fake ones, and none reaches a history.
 *
 * The patched branches that only a failing or slow step takes (`close-cleanly-v1`,
 * `review-deadline-after-decision-v1`) are recorded by a second worker, on its own task queue:
 * the same activities and options, with the one activity each scenario needs failing or held
 * until the run is where the scenario needs it (checked in the history, not by sleeping).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { FailureType } from '../../shared/contracts/errors';
import type { RunTaskRequest, RunTaskResult } from '../../shared/contracts/job';
import {
  SearchAttr,
  getJobStateQuery,
  providerHealthWorkflowId,
  type PublishedHealth,
  getReviewQuery,
  reviewDecisionUpdate,
  reviewQueueWorkflowId,
} from '../../shared/contracts/messages';
import { loadConfig, type KeelConfig } from '../../shared/platform/config';
import { createLogger, type Logger } from '../../shared/platform/logger';
import { ProviderHealth } from '../../shared/platform/provider-health';
import {
  createTemporalConnector,
  installTemporalRuntime,
} from '../../shared/platform/temporal-connection';
import { findTemporalCli } from '../../temporal/cli';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { WORKFLOWS_PATH, createKeelWorker, keelActivities } from '../../worker/keel-worker';
import { openTenancy, type Tenancy } from '../../shared/tenancy/open';
import type { runBatch, runLongTask, runTask } from '../../workflows';
import { startMockUpstream } from '../mock-upstream';
import { LONG_ANSWER_FIXTURE, recordLongAnswer } from './record-long-answer';
import { freePort } from './free-port';
import { hold } from './hold';

const ROOT = path.resolve(__dirname, '../..');
export const HISTORIES_DIR = path.join(ROOT, 'test/fixtures/histories');
const TENANT = 'fixture-tenant';
/** Its review deadline (4 s, no escalation, then reject) leaves time to accept a decision. */
const BRISK_TENANT = 'fixture-brisk-tenant';
const REVIEWER = 'reviewer-1';
/** Short enough to record the expiry path in seconds; the breaker opens after a few failures. */
const OPEN_MS = 1_000;
const MIN_REQUESTS = 3;
/** The patch ids (workflows/pipeline/job.ts, workflows/pipeline/review.ts) the markers carry. */
const CLOSE_CLEANLY = 'close-cleanly-v1';
const DEADLINE_AFTER_DECISION = 'review-deadline-after-decision-v1';
const HEDGED_CALLS = 'hedged-calls-v1';
/** The fixtures recordPatched writes: the rest come from record, the product worker's run. */
const PATCHED_FIXTURES = [
  'run-task-record-fails-close-cleanly-v1',
  'run-task-review-decision-after-deadline-v1',
  'run-task-losing-edit-close-cleanly-v1',
  'run-task-failed-job-end-events-v1',
  'run-task-cancelled-job-end-events-v1',
  'run-task-cancelled-on-route-v1',
];
/** A failed or cancelled job writes its end to the event log (`job-end-events-v1`). */
const JOB_END_EVENTS = 'job-end-events-v1';
/** A job cancelled while its route runs ends cancelled (`cancelled-on-route-v1`). */
const CANCELLED_ON_ROUTE = 'cancelled-on-route-v1';
/** Its policy turns hedged calls on for classify-ticket (`hedged-calls-v1`). */
const HEDGE_TENANT = 'fixture-hedge-tenant';
const HEDGED_FIXTURE = 'run-task-hedged-calls-v1';
/** A job billed to a plan with a budget and a concurrency slot (`tenant-slot-v1`). */
const TENANT_SLOT_FIXTURE = 'run-task-tenant-slot-v1';
const TENANT_SLOT = 'tenant-slot-v1';
/** A batch's first run: its children, its bookkeeping, its continue-as-new. */
const BATCH_FIXTURE = 'run-batch';
/** A summarize text past the single-call limit: chunk, two map children, reduce, grounding. */
const LONG_TASK_FIXTURE = 'run-long-task';
/** Its policy asks a model's verdict on every input (`injection-model-check-v1`). */
const CHECKED_TENANT = 'fixture-checked-tenant';
const INJECTION_CHECK_FIXTURE = 'run-task-injection-model-check-v1';
const CHAT_FIXTURE = 'run-task-chat';
const INJECTION_MODEL_CHECK = 'injection-model-check-v1';
/** Its policy names a verifier (`verifier-v1`): an unfaithful answer, re-asked, then verified. */
const VERIFIED_TENANT = 'fixture-verified-tenant';
const VERIFIER_FIXTURE = 'run-task-verifier-v1';

/** The provider is OpenAI-compatible (an external call), the mock upstream its server. */
function fileConfig(mockUrl: string): unknown {
  const price = { input: 2, output: 8 };
  return {
    providers: [{ name: 'compat', type: 'openai-compatible', baseUrl: `${mockUrl}/v1` }],
    models: [
      { provider: 'local', name: 'keel-local-1', price: { input: 0, output: 0 } },
      ...['ok', 'invalid-json', '503', 'unfaithful'].map((name) => ({
        provider: 'compat',
        name,
        price,
      })),
    ],
    breaker: { minRequests: MIN_REQUESTS, openMs: OPEN_MS },
    policies: {
      tenants: {
        [TENANT]: {
          tasks: {
            summarize: {
              review: { deadlineMs: 1_000, escalationDeadlineMs: 1_000, onExpiry: 'degrade' },
            },
          },
        },
        [BRISK_TENANT]: {
          review: { deadlineMs: 4_000, escalationDeadlineMs: 0, onExpiry: 'reject' },
        },
        // compat's price ($8 per M output tokens) makes it expensive: hedged only when asked.
        [HEDGE_TENANT]: {
          tasks: { 'classify-ticket': { hedge: { enabled: true, expensiveModels: true } } },
        },
        [CHECKED_TENANT]: {
          moderation: {
            injection: {
              model: { route: ['compat:invalid-json', 'compat:ok'], onFailure: 'closed' },
            },
          },
        },
        [VERIFIED_TENANT]: {
          validation: { verifier: { route: ['compat:ok'], failure: 'closed', action: 're-ask' } },
        },
      },
    },
  };
}

const TICKET = { subject: 'Refund', body: 'I was charged twice for my subscription this month' };
const ARTICLE = {
  text: 'The outage began at 09:12 UTC. Writes failed for 41 minutes. Service was restored at 09:53 UTC.',
  maxWords: 20,
};

interface Recorder {
  client: Client;
  taskQueue: string;
  /** Whether `--only` (if given) names this fixture. */
  wants(name: string): boolean;
  save(name: string, handle: { workflowId: string; runId?: string }): Promise<void>;
}

function start(
  r: Recorder,
  task: string,
  input: unknown,
  options: RunTaskRequest['options'],
  run: {
    tenantId?: string;
    workflowTaskTimeout?: Duration;
    tenancy?: RunTaskRequest['tenancy'];
  } = {},
): Promise<WorkflowHandle<typeof runTask>> {
  const tenantId = run.tenantId ?? TENANT;
  const request: RunTaskRequest = {
    task,
    tenantId,
    requestId: 'fixture',
    input,
    options,
    ...(run.tenancy ? { tenancy: run.tenancy } : {}),
  };
  return r.client.workflow.start<typeof runTask>('runTask', {
    taskQueue: r.taskQueue,
    workflowId: `${task}-${randomUUID()}`,
    args: [request],
    // While a scenario holds a local activity, the worker heartbeats the workflow task every
    // 0.8 × this: with 2 s, what the run did meanwhile reaches the history within 1.6 s.
    ...(run.workflowTaskTimeout ? { workflowTaskTimeout: run.workflowTaskTimeout } : {}),
    typedSearchAttributes: [
      { key: SearchAttr.tenant, value: tenantId },
      { key: SearchAttr.task, value: task },
      { key: SearchAttr.status, value: 'running' },
    ],
  });
}

/** Fails the recording when a run did not take the path its fixture is named for. */
function expectPath(name: string, result: RunTaskResult, expected: string, detail = true): void {
  if (result.meta.path !== expected || !detail) {
    throw new Error(`${name}: expected path ${expected}, got ${JSON.stringify(result.meta)}`);
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function health(r: Recorder, model: string): Promise<PublishedHealth | undefined> {
  const desc = await r.client.workflow
    .getHandle(providerHealthWorkflowId(r.taskQueue, 'compat', model))
    .describe()
    .catch(() => undefined);
  return (desc?.memo as { health?: PublishedHealth } | undefined)?.health;
}

async function awaitingReview(handle: WorkflowHandle<typeof runTask>): Promise<void> {
  await until('awaiting_review', async () => {
    const state = await handle.query(getJobStateQuery);
    return state.status === 'awaiting_review';
  });
}

/** The scenarios, in order: later ones rely on the breaker state earlier ones leave. */
async function record(r: Recorder): Promise<void> {
  // An external call: a regular activity, through the OpenAI SDK to the compat server.
  const external = await start(r, 'classify-ticket', TICKET, { route: ['compat:ok'] });
  expectPath('external', await external.result(), 'primary');
  await r.save('run-task-external', external);

  // Invalid JSON is re-asked once with the failure named; the second answer passes.
  const reask = await start(r, 'classify-ticket', TICKET, { route: ['compat:invalid-json'] });
  const reasked = await reask.result();
  expectPath('reask', reasked, 'primary', reasked.meta.attempts === 2);
  await r.save('run-task-reask', reask);

  // A 503 twice (retried once), then the next candidate answers.
  const fallback = await start(r, 'classify-ticket', TICKET, {
    route: ['compat:503', 'compat:ok'],
  });
  expectPath('fallback', await fallback.result(), 'fallback');
  await r.save('run-task-fallback', fallback);

  // Every candidate fails and the input was never answered: the local fallback, degraded.
  const degrade = await start(
    r,
    'classify-ticket',
    { subject: 'Login', body: 'The app shows error 500 after the update' },
    { route: ['compat:503'] },
  );
  const degraded = await degrade.result();
  expectPath('degrade', degraded, 'degraded', degraded.meta.provider === 'local');
  await r.save('run-task-degrade-fallback', degrade);

  // The failures opened compat:503's circuit: the candidate is skipped at admission and the
  // last good answer to the same input (one of the runs above) is served.
  await until('compat:503 open', async () => (await health(r, '503'))?.state === 'open');
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // the health read cache (1 s)
  const lastGood = await start(r, 'classify-ticket', TICKET, { route: ['compat:503'] });
  const served = await lastGood.result();
  expectPath(
    'last-good',
    served,
    'degraded',
    served.meta.lastGood !== undefined &&
      served.meta.reasons.some((x) => x.includes('circuit open')),
  );
  await r.save('run-task-degrade-last-good', lastGood);

  // After openMs the breaker lets one probe through (an update on the entity); it fails, the
  // circuit opens again and the route moves on.
  const opened = (await health(r, '503'))?.openedAt ?? Date.now();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, opened + OPEN_MS - Date.now())));
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const probe = await start(r, 'classify-ticket', TICKET, { route: ['compat:503', 'compat:ok'] });
  expectPath('probe', await probe.result(), 'fallback');
  await until('the probe recorded', async () =>
    ((await health(r, '503'))?.transitions ?? []).some((t) => t.to === 'half_open'),
  );
  await r.save('run-task-breaker-probe', probe);
  await r.save('provider-health', {
    workflowId: providerHealthWorkflowId(r.taskQueue, 'compat', '503'),
  });

  // Review: an edit that fails validation is refused (the task keeps waiting), then an edit
  // that passes is the answer.
  const review = await start(r, 'classify-ticket', TICKET, {
    route: ['compat:ok'],
    review: 'always',
  });
  await awaitingReview(review);
  const refused = await review
    .executeUpdate(reviewDecisionUpdate, {
      args: [
        {
          decision: 'edit',
          output: { category: 'NOT-A-CATEGORY' },
          reviewer: REVIEWER,
          tenantId: TENANT,
        },
      ],
    })
    .then(
      () => false,
      () => true,
    );
  if (!refused) throw new Error('review: an invalid edit was accepted');
  const proposed = (await review.query(getReviewQuery))?.proposed as Record<string, unknown>;
  await review.executeUpdate(reviewDecisionUpdate, {
    args: [
      {
        decision: 'edit',
        output: { ...(proposed ?? {}), category: 'BILLING' },
        comment: 'checked against the ledger',
        reviewer: REVIEWER,
        tenantId: TENANT,
      },
    ],
  });
  expectPath('review', await review.result(), 'review');
  await r.save('run-task-review-decision', review);

  // Review: nobody decides; the deadline escalates, the second deadline serves the proposal.
  const expiry = await start(r, 'summarize', ARTICLE, { route: ['compat:ok'], review: 'always' });
  expectPath('review-expired', await expiry.result(), 'degraded');
  await r.save('run-task-review-expired', expiry);

  await r.save('review-queue', { workflowId: reviewQueueWorkflowId(r.taskQueue, TENANT) });
}

/**
 * hedged-calls-v1: fast calls give compat:ok a p95 of a few ms; then every upstream answer takes
 * 1.5 s, so the next call has not answered by its hedge delay, the in-process model starts beside
 * it and wins, and the compat call is cancelled.
 */
async function recordHedged(r: Recorder, mockUrl: string): Promise<void> {
  const run = (options: RunTaskRequest['options']) =>
    start(r, 'classify-ticket', TICKET, options, { tenantId: HEDGE_TENANT });
  for (let n = 0; n < MIN_REQUESTS; n++) {
    expectPath('hedge warm-up', await (await run({ route: ['compat:ok'] })).result(), 'primary');
  }
  await until(
    'compat:ok latency stats',
    async () => ((await health(r, 'ok'))?.stats.requests ?? 0) >= MIN_REQUESTS,
  );
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // the health read cache (1 s)
  const latency = (latencyMs: number) =>
    fetch(`${mockUrl}/_mock/latency`, { method: 'PUT', body: JSON.stringify({ latencyMs }) });
  await latency(1_500);
  try {
    const hedged = await run({ route: ['compat:ok', 'local:keel-local-1'] });
    const result = await hedged.result();
    expectPath(
      'hedged',
      result,
      'fallback',
      result.meta.provider === 'local' && result.meta.reasons.some((x) => x.startsWith('hedged')),
    );
    await expectPatchMarker(r, 'hedged', hedged, HEDGED_CALLS);
    await r.save(HEDGED_FIXTURE, hedged);
  } finally {
    await latency(0);
  }
}

/**
 * tenant-slot-v1: a job on a plan with a budget and a concurrency limit. Its call is reserved and
 * settled against the budget (the ledger), and the run frees its slot in a last local activity.
 */
async function recordTenantSlot(r: Recorder): Promise<void> {
  const run = await start(
    r,
    'classify-ticket',
    TICKET,
    { route: ['compat:ok'] },
    {
      tenancy: {
        keyId: 'key_fixture',
        planId: 'pro',
        budget: { limitMicros: 200_000_000, overBudget: 'downgrade' },
        holdsSlot: true,
        priority: 3,
      },
    },
  );
  expectPath('tenant-slot', await run.result(), 'primary');
  await expectPatchMarker(r, 'tenant-slot', run, TENANT_SLOT);
  await r.save(TENANT_SLOT_FIXTURE, run);
}

/**
 * run-batch: a batch of three items (the items in the tenant store, as the API writes them), two
 * at a time and two per run: the first run starts two children, records their outcomes, and
 * continues as new; the second runs the third and closes the batch. The first run is the fixture.
 */
async function recordBatch(r: Recorder, tenancy: Tenancy): Promise<void> {
  const batchId = `batch_${randomUUID()}`;
  const inputs = [TICKET, { subject: 'Login', body: 'I cannot log in to my account' }, TICKET];
  await tenancy.store.batches.insertItems(
    batchId,
    inputs.map((input, index) => ({ index, jobId: `classify-ticket-${randomUUID()}`, input })),
  );
  await tenancy.store.batches.create({
    id: batchId,
    tenantId: TENANT,
    task: 'classify-ticket',
    options: {},
    total: inputs.length,
    invalid: 0,
    fingerprint: 'fixture',
    createdAt: Date.now(),
  });
  const handle = await r.client.workflow.start<typeof runBatch>('runBatch', {
    taskQueue: r.taskQueue,
    workflowId: batchId,
    args: [
      {
        batchId,
        tenantId: TENANT,
        task: 'classify-ticket',
        options: { route: ['local:keel-local-1'] },
        requestId: 'fixture',
        total: inputs.length,
        next: 0,
        concurrency: 2,
        itemsPerRun: 2,
      },
    ],
  });
  const result = await handle.result();
  if (result.counts.completed !== inputs.length)
    throw new Error(`run-batch: expected every item completed, got ${JSON.stringify(result)}`);
  await r.save(BATCH_FIXTURE, { workflowId: batchId, runId: handle.firstExecutionRunId });
}

/**
 * run-long-task: a summarize text just past the single-call limit (100,000 characters), so two
 * chunks: two map children, the reduce child, the grounding check against the source, the record.
 * Its payloads (about 100 KB each) are over the claim check's threshold: every fixture is recorded
 * with the claim check off, since the replay has no blob store (the others are all under it).
 */
async function recordLongTask(r: Recorder): Promise<void> {
  const entries: string[] = [];
  for (let i = 0; entries.join('\n\n').length <= 100_200; i++) {
    entries.push(
      `Entry ${i + 1}. Writes to the billing service failed for ${(i % 50) + 3} minutes. ` +
        `The team capped retries at ${(i % 6) + 2} and added jitter; the queue drained within the hour.`,
    );
  }
  const text = entries.join('\n\n');
  const workflowId = `summarize-${randomUUID()}`;
  const handle = await r.client.workflow.start<typeof runLongTask>('runLongTask', {
    taskQueue: r.taskQueue,
    workflowId,
    args: [
      {
        task: 'summarize',
        tenantId: TENANT,
        requestId: 'fixture',
        input: { text, maxWords: 40 },
        options: { route: ['local:keel-local-1'] },
      },
    ],
    typedSearchAttributes: [
      { key: SearchAttr.tenant, value: TENANT },
      { key: SearchAttr.task, value: 'summarize' },
      { key: SearchAttr.status, value: 'running' },
    ],
  });
  const result = await handle.result();
  if (result.meta.longDocument?.chunks !== 2)
    throw new Error(`run-long-task: expected two chunks, got ${JSON.stringify(result.meta)}`);
  await r.save(LONG_TASK_FIXTURE, { workflowId });
}

/**
 * injection-model-check-v1: the policy asks a model's verdict. The check's first candidate
 * answers no readable verdict, the second a verdict (no injection); then the task's call, every
 * call billed. (A 503 candidate would find its circuit opened by the scenarios above.)
 */
async function recordInjectionCheck(r: Recorder): Promise<void> {
  const run = await start(
    r,
    'classify-ticket',
    TICKET,
    { route: ['compat:ok'] },
    {
      tenantId: CHECKED_TENANT,
      tenancy: { keyId: 'key_fixture', planId: 'pro', holdsSlot: false, priority: 3 },
    },
  );
  const result = await run.result();
  expectPath('injection-check', result, 'primary', result.meta.attempts === 3);
  await expectPatchMarker(r, 'injection-check', run, INJECTION_MODEL_CHECK);
  await r.save(INJECTION_CHECK_FIXTURE, run);
}

/**
 * verifier-v1: the policy names a verifier. The answer says what the ticket does not (the mock's
 * `unfaithful`): the verifier scores it low, the model is re-asked, the verifier passes the new
 * answer; four calls, every one billed.
 */
async function recordVerifier(r: Recorder): Promise<void> {
  const run = await start(
    r,
    'classify-ticket',
    TICKET,
    { route: ['compat:unfaithful'] },
    {
      tenantId: VERIFIED_TENANT,
      tenancy: { keyId: 'key_fixture', planId: 'pro', holdsSlot: false, priority: 3 },
    },
  );
  const result = await run.result();
  const rejected = result.meta.validation.rejected.map((x) => `${x.layer} ${x.action}`);
  const verified = result.meta.validation.verifier?.passed === true && result.meta.attempts === 4;
  expectPath('verifier', result, 'primary', verified && rejected.join() === 'verifier re-ask');
  await expectPatchMarker(r, 'verifier', run, 'verifier-v1');
  await r.save(VERIFIER_FIXTURE, run);
}

/**
 * The `chat` task (`/v1/chat/completions`): the caller's messages sent as they are, a text answer,
 * its calls carrying the stream window's moderation scope (unused: nobody streams here).
 */
async function recordChat(r: Recorder): Promise<void> {
  const run = await start(
    r,
    'chat',
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'How long does a refund take?' },
      ],
    },
    { route: ['compat:ok'] },
  );
  expectPath('chat', await run.result(), 'primary');
  await r.save(CHAT_FIXTURE, run);
}

const { EventType } = temporal.api.enums.v1;

async function historyOf(r: Recorder, handle: { workflowId: string }) {
  return (await r.client.workflow.getHandle(handle.workflowId).fetchHistory()).events ?? [];
}

/** Whether the history holds the marker `patched(patchId)` records. */
async function hasPatchMarker(
  r: Recorder,
  handle: { workflowId: string },
  patchId: string,
): Promise<boolean> {
  return (await historyOf(r, handle)).some((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (e.eventType !== EventType.EVENT_TYPE_MARKER_RECORDED || !marker) return false;
    if (marker.markerName !== 'core_patch') return false;
    // Core writes `patch-data`: {"id": <patch id>, "deprecated": false}.
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    if (!data) return false;
    return (JSON.parse(Buffer.from(data).toString('utf8')) as { id?: string }).id === patchId;
  });
}

async function expectPatchMarker(
  r: Recorder,
  name: string,
  handle: { workflowId: string },
  patchId: string,
) {
  if (!(await hasPatchMarker(r, handle, patchId))) {
    throw new Error(`${name}: the history has no ${patchId} marker`);
  }
}

const failureTypeOf = (err: unknown): string | undefined =>
  ((err as { cause?: unknown }).cause as ApplicationFailure | undefined)?.type ?? undefined;

/** The scenarios' failing and held activities: one switch each, off unless a scenario sets it. */
interface Faults {
  recordFails: boolean;
  auditing?: ReturnType<typeof hold>;
  editValidating?: ReturnType<typeof hold>;
  calling?: ReturnType<typeof hold>;
}

function withFaults(real: Activities, faults: Faults): Activities {
  return {
    ...real,
    recordResult: (args) =>
      faults.recordFails
        ? Promise.reject(
            ApplicationFailure.nonRetryable('the result store is down', 'RecordUnavailable'),
          )
        : real.recordResult(args),
    auditReview: async (args) => {
      await faults.auditing?.wait();
      return real.auditReview(args);
    },
    validateOutput: async (args) => {
      if (args.reviewerEdit) await faults.editValidating?.wait();
      return real.validateOutput(args);
    },
    callModel: async (args) => {
      await faults.calling?.wait();
      return real.callModel(args);
    },
  };
}

/** The patched branches: each scenario sets its fault, and clears it before the next one. */
async function recordPatched(r: Recorder, faults: Faults): Promise<void> {
  // close-cleanly-v1: recording the result fails (non-retryable), a failure no step caught: the
  // run fails and its job is marked failed (KeelStatus = failed), not left `running`.
  if (r.wants('run-task-record-fails-close-cleanly-v1')) {
    faults.recordFails = true;
    const run = await start(r, 'classify-ticket', TICKET, { route: ['compat:ok'] });
    const err = await run.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    faults.recordFails = false;
    const status = (await run.describe()).typedSearchAttributes.get(SearchAttr.status);
    if (failureTypeOf(err) !== 'RecordUnavailable' || status !== 'failed') {
      throw new Error(
        `record-fails: expected RecordUnavailable and failed, got ${String(err)}, ${status}`,
      );
    }
    await expectPatchMarker(r, 'record-fails', run, CLOSE_CLEANLY);
    await r.save('run-task-record-fails-close-cleanly-v1', run);
  }

  // review-deadline-after-decision-v1: an approve accepted before the 4 s deadline is still
  // being audited when the deadline fires; the decision is honoured (path review).
  if (r.wants('run-task-review-decision-after-deadline-v1')) {
    const auditing = (faults.auditing = hold());
    const run = await start(
      r,
      'classify-ticket',
      TICKET,
      { route: ['compat:ok'], review: 'always' },
      { tenantId: BRISK_TENANT, workflowTaskTimeout: '2 seconds' },
    );
    await awaitingReview(run);
    try {
      const update = await run.startUpdate(reviewDecisionUpdate, {
        args: [
          { decision: 'approve', comment: 'in time', reviewer: REVIEWER, tenantId: BRISK_TENANT },
        ],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      await auditing.reached;
      await until('the review deadline fired', async () =>
        (await historyOf(r, run)).some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED),
      );
      // Released at once: the audit's result and the deadline timer typically land in one
      // workflow task, the order that replay once got wrong (the marker is now asked for when the
      // review opens, so both orders replay).
      auditing.release();
      await update.result();
    } finally {
      auditing.release();
      faults.auditing = undefined;
    }
    const result = await run.result();
    expectPath(
      'decision-after-deadline',
      result,
      'review',
      result.meta.review?.comment === 'in time',
    );
    await expectPatchMarker(r, 'decision-after-deadline', run, DEADLINE_AFTER_DECISION);
    await r.save('run-task-review-decision-after-deadline-v1', run);
  }

  // close-cleanly-v1: an edit still validating when an approve wins; the run has recorded its
  // result and waits in its close for the edit's handler, which gets its 409 (already decided).
  if (r.wants('run-task-losing-edit-close-cleanly-v1')) {
    const validating = (faults.editValidating = hold());
    const run = await start(
      r,
      'classify-ticket',
      TICKET,
      { route: ['compat:ok'], review: 'always' },
      { workflowTaskTimeout: '2 seconds' },
    );
    await awaitingReview(run);
    const proposed = (await run.query(getReviewQuery))?.proposed as Record<string, unknown>;
    const edit = run
      .executeUpdate(reviewDecisionUpdate, {
        args: [
          {
            decision: 'edit',
            output: { ...proposed, confidence: 0.5 },
            reviewer: REVIEWER,
            tenantId: TENANT,
          },
        ],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    try {
      await validating.reached;
      await run.executeUpdate(reviewDecisionUpdate, {
        args: [{ decision: 'approve', reviewer: REVIEWER, tenantId: TENANT }],
      });
      // The run is closing: it took the branch that waits for the edit's handler.
      await until('the run waiting for the losing edit', () =>
        hasPatchMarker(r, run, CLOSE_CLEANLY),
      );
    } finally {
      validating.release();
      faults.editValidating = undefined;
    }
    const refused = await edit;
    if (
      !(refused instanceof WorkflowUpdateFailedError) ||
      failureTypeOf(refused) !== FailureType.ReviewAlreadyDecided
    ) {
      throw new Error(`losing-edit: expected ReviewAlreadyDecided, got ${String(refused)}`);
    }
    const result = await run.result();
    expectPath('losing-edit', result, 'review', result.meta.review?.decision === 'approve');
    await r.save('run-task-losing-edit-close-cleanly-v1', run);
  }

  // job-end-events-v1: a job that fails (its input is refused at admission) writes job.failed.
  if (r.wants('run-task-failed-job-end-events-v1')) {
    const run = await start(r, 'classify-ticket', { subject: 'no body' }, { route: ['compat:ok'] });
    const err = await run.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (failureTypeOf(err) !== FailureType.InvalidInput) {
      throw new Error(`failed-job: expected InvalidInput, got ${String(err)}`);
    }
    await expectPatchMarker(r, 'failed-job', run, JOB_END_EVENTS);
    await r.save('run-task-failed-job-end-events-v1', run);
  }

  // job-end-events-v1: a job cancelled while it waits for review withdraws the review and
  // writes job.cancelled.
  if (r.wants('run-task-cancelled-job-end-events-v1')) {
    const run = await start(r, 'classify-ticket', TICKET, {
      route: ['compat:ok'],
      review: 'always',
    });
    await awaitingReview(run);
    await run.cancel();
    const err = await run.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!String((err as { cause?: unknown })?.cause ?? err).includes('Cancel')) {
      throw new Error(`cancelled-job: expected a cancellation, got ${String(err)}`);
    }
    await expectPatchMarker(r, 'cancelled-job', run, JOB_END_EVENTS);
    await r.save('run-task-cancelled-job-end-events-v1', run);
  }

  // cancelled-on-route-v1: a job that may not degrade, cancelled while its model call runs, ends
  // cancelled (not failed as if its hard timeout had passed).
  if (r.wants('run-task-cancelled-on-route-v1')) {
    const calling = hold();
    faults.calling = calling;
    const run = await start(r, 'classify-ticket', TICKET, {
      route: ['compat:ok'],
      allowDegraded: false,
    });
    await calling.reached;
    await run.cancel();
    const err = await run.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    faults.calling = undefined;
    calling.release();
    // Before the patch: `Workflow execution failed` (all-candidates-failed).
    if (!String((err as { cause?: unknown })?.cause ?? err).includes('Cancel')) {
      throw new Error(`cancelled-on-route: expected a cancellation, got ${String(err)}`);
    }
    await expectPatchMarker(r, 'cancelled-on-route', run, CANCELLED_ON_ROUTE);
    await r.save('run-task-cancelled-on-route-v1', run);
  }
}

/** The product worker's activities (worker/keel-worker.ts), for the worker that injects faults. */
function faultyWorker(options: {
  config: KeelConfig;
  logger: Logger;
  client: Client;
  connection: Awaited<ReturnType<ReturnType<typeof createTemporalConnector>['connectNative']>>;
  workflowBundle: { code: string };
  taskQueue: string;
  faults: Faults;
}) {
  const { config, logger, client, taskQueue } = options;
  const health = new ProviderHealth(client, taskQueue, logger, config.models.breaker);
  return Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowBundle: options.workflowBundle,
    activities: withFaults(
      keelActivities({ config, logger, client, health, taskQueue }),
      options.faults,
    ),
    stickyQueueScheduleToStartTimeout: '2 seconds',
  }).then((worker) => ({
    worker,
    run: async () => {
      await worker.run();
      await health.close();
    },
  }));
}

const noop = (): void => undefined;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      address: { type: 'string' },
      out: { type: 'string', default: HISTORIES_DIR },
      suffix: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const only = values.only?.split(',').map((n) => n.trim().replace(/\.json$/, ''));
  const wants = (name: string): boolean => !only || only.includes(name);
  const runMain =
    !only ||
    only.some(
      (n) =>
        !PATCHED_FIXTURES.includes(n) &&
        ![
          HEDGED_FIXTURE,
          TENANT_SLOT_FIXTURE,
          BATCH_FIXTURE,
          INJECTION_CHECK_FIXTURE,
          LONG_TASK_FIXTURE,
          LONG_ANSWER_FIXTURE,
          CHAT_FIXTURE,
          VERIFIER_FIXTURE,
        ].includes(n),
    );
  const runPatched = PATCHED_FIXTURES.some(wants);
  // Failed calls are part of the scenarios: the SDK's warnings about them are expected noise.
  installTemporalRuntime({
    logger: createLogger({ name: 'record', level: 'error' }),
    level: 'error',
  });
  let server: DevServer | undefined;
  if (!values.address) {
    const cli = await findTemporalCli({
      dataDir: path.join(ROOT, '.keel'),
      searchPath: process.env.PATH,
      install: true,
      log: (line) => console.log(line),
    });
    server = await startDevServer({ cliPath: cli.path, port: await freePort() });
  }
  const address = values.address ?? server!.address;
  const mock = await startMockUpstream({ port: 0 });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-record-'));
  const configFile = path.join(dataDir, 'keel.json');
  writeFileSync(configFile, JSON.stringify(fileConfig(mock.url)));
  const taskQueue = `record-${randomUUID()}`;
  const config = loadConfig({
    TEMPORAL_ADDRESS: address,
    KEEL_TASK_QUEUE: taskQueue,
    KEEL_CONFIG: configFile,
    KEEL_DATA_DIR: dataDir,
    KEEL_INPUT_KEY_SECRET: 'fixture-input-key-secret-not-real',
    // Payloads stay in the histories: the replay test decodes them without a blob store.
    KEEL_CLAIM_CHECK_BYTES: '0',
  });
  // The product's own connector and worker: the histories are what a deployed worker writes.
  const temporal = createTemporalConnector(config.temporal);
  const connection = await temporal.connect();
  const nativeConnection = await temporal.connectNative();
  const client = temporal.clientOn(connection);
  mkdirSync(values.out, { recursive: true });
  const patchedQueue = `record-patched-${randomUUID()}`;
  const save = async (
    name: string,
    { workflowId, runId }: { workflowId: string; runId?: string },
  ): Promise<void> => {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const file = path.join(values.out, `${name}${values.suffix ? `-${values.suffix}` : ''}.json`);
    writeFileSync(file, `${historyToJSON(history)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length} events)`);
  };
  let tenancy: Tenancy | undefined;
  try {
    await ensureSearchAttributes(connection, 'default');
    const logger = createLogger({ name: 'record', level: 'warn' });
    // One bundle for both workers: the same workflow code writes every history.
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
    });
    // The tenant store and limiter a deployed worker bills with (SQLite in the data dir).
    tenancy = await openTenancy(config);
    await tenancy.store.upsertTenant(
      { id: TENANT, name: TENANT, planId: 'pro', status: 'active', overrides: {} },
      Date.now(),
    );
    const keel = await createKeelWorker({
      config,
      logger,
      temporal,
      connection: nativeConnection,
      client,
      workflowBundle,
      tenancy,
    });
    const faults: Faults = { recordFails: false };
    const faulty = await faultyWorker({
      config,
      logger,
      client,
      connection: nativeConnection,
      workflowBundle,
      taskQueue: patchedQueue,
      faults,
    });
    const running = [keel.run(), faulty.run()];
    try {
      if (runMain) await record({ client, taskQueue, wants, save });
      if (runPatched) await recordPatched({ client, taskQueue: patchedQueue, wants, save }, faults);
      if (wants(HEDGED_FIXTURE)) await recordHedged({ client, taskQueue, wants, save }, mock.url);
      if (wants(TENANT_SLOT_FIXTURE)) await recordTenantSlot({ client, taskQueue, wants, save });
      if (wants(BATCH_FIXTURE)) await recordBatch({ client, taskQueue, wants, save }, tenancy);
      if (wants(LONG_TASK_FIXTURE)) await recordLongTask({ client, taskQueue, wants, save });
      if (wants(LONG_ANSWER_FIXTURE))
        await recordLongAnswer({ client, taskQueue, tenantId: TENANT, save });
      if (wants(INJECTION_CHECK_FIXTURE))
        await recordInjectionCheck({ client, taskQueue, wants, save });
      if (wants(CHAT_FIXTURE)) await recordChat({ client, taskQueue, wants, save });
      if (wants(VERIFIER_FIXTURE)) await recordVerifier({ client, taskQueue, wants, save });
    } finally {
      keel.stop();
      faulty.worker.shutdown();
      await Promise.all(running);
      // The entities (breakers, review queue) run until terminated.
      for (const queue of [taskQueue, patchedQueue]) {
        const query = `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'`;
        for await (const wf of client.workflow.list({ query })) {
          await client.workflow.getHandle(wf.workflowId).terminate('recording done');
        }
      }
    }
  } finally {
    await connection.close();
    await nativeConnection.close();
    await mock.close();
    await tenancy?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
