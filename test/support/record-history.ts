/**
 * Records the replay fixtures in test/fixtures/histories: runs Keel's real worker (the real
 * activities, breakers and review queue) against the mock upstream, through an OpenAI-compatible
 * provider named `compat`, drives each path a workflow can take, and saves every history.
 *
 *   npm run record:histories                          own dev server; overwrites the files
 *   npm run record:histories -- --suffix <patch-id>   keeps them; writes <name>-<patch-id>.json
 *   npm run record:histories -- --address 127.0.0.1:7233 --out /tmp/histories
 *
 * Re-record after a deliberate workflow change. A change behind `patched()` must keep the old
 * files (histories still in flight take the old path): record with `--suffix <patch-id>`.
 * Inputs are synthetic (no PII); the only secrets are fake ones, and none reaches a history.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
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
import { loadConfig } from '../../shared/platform/config';
import { createLogger } from '../../shared/platform/logger';
import {
  createTemporalConnector,
  installTemporalRuntime,
} from '../../shared/platform/temporal-connection';
import { findTemporalCli } from '../../temporal/cli';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { createKeelWorker } from '../../worker/keel-worker';
import type { runTask } from '../../workflows';
import { startMockUpstream } from '../mock-upstream';
import { freePort } from './free-port';

const ROOT = path.resolve(__dirname, '../..');
export const HISTORIES_DIR = path.join(ROOT, 'test/fixtures/histories');
const TENANT = 'fixture-tenant';
const REVIEWER = 'reviewer-1';
/** Short enough to record the expiry path in seconds; the breaker opens after a few failures. */
const OPEN_MS = 1_000;
const MIN_REQUESTS = 3;

/** The provider is OpenAI-compatible (an external call), the mock upstream its server. */
function fileConfig(mockUrl: string): unknown {
  const price = { input: 2, output: 8 };
  return {
    providers: [{ name: 'compat', type: 'openai-compatible', baseUrl: `${mockUrl}/v1` }],
    models: [
      { provider: 'local', name: 'keel-local-1', price: { input: 0, output: 0 } },
      ...['ok', 'invalid-json', '503'].map((name) => ({ provider: 'compat', name, price })),
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
  save(name: string, handle: { workflowId: string }): Promise<void>;
}

function start(
  r: Recorder,
  task: string,
  input: unknown,
  options: RunTaskRequest['options'],
): Promise<WorkflowHandle<typeof runTask>> {
  const request: RunTaskRequest = { task, tenantId: TENANT, requestId: 'fixture', input, options };
  return r.client.workflow.start<typeof runTask>('runTask', {
    taskQueue: r.taskQueue,
    workflowId: `${task}-${randomUUID()}`,
    args: [request],
    typedSearchAttributes: [
      { key: SearchAttr.tenant, value: TENANT },
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      address: { type: 'string' },
      out: { type: 'string', default: HISTORIES_DIR },
      suffix: { type: 'string' },
    },
  });
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
  });
  // The product's own connector and worker: the histories are what a deployed worker writes.
  const temporal = createTemporalConnector(config.temporal);
  const connection = await temporal.connect();
  const nativeConnection = await temporal.connectNative();
  const client = temporal.clientOn(connection);
  mkdirSync(values.out, { recursive: true });
  try {
    await ensureSearchAttributes(connection, 'default');
    const logger = createLogger({ name: 'record', level: 'warn' });
    const keel = await createKeelWorker({
      config,
      logger,
      temporal,
      connection: nativeConnection,
      client,
    });
    const running = keel.run();
    try {
      await record({
        client,
        taskQueue,
        save: async (name, { workflowId }) => {
          const history = await client.workflow.getHandle(workflowId).fetchHistory();
          const file = path.join(
            values.out,
            `${name}${values.suffix ? `-${values.suffix}` : ''}.json`,
          );
          writeFileSync(file, `${historyToJSON(history)}\n`);
          console.log(
            `wrote ${path.relative(process.cwd(), file)} (${history.events?.length} events)`,
          );
        },
      });
    } finally {
      keel.worker.shutdown();
      await running;
      // The entities (breakers, review queue) run until terminated.
      const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
      for await (const wf of client.workflow.list({ query })) {
        await client.workflow.getHandle(wf.workflowId).terminate('recording done');
      }
    }
  } finally {
    await connection.close();
    await nativeConnection.close();
    await mock.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
