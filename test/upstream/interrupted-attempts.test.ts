import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities, type CallModelResult } from '../../activities';
import { openBill, worstCaseInputTokens } from '../../activities/models/billing';
import { renderTaskRequest } from '../../activities/models/render-request';
import { createOpenAIProvider } from '../../activities/models/providers/openai-provider';
import { findModel, type ModelEntry } from '../../shared/platform/model-registry';
import { parseFileConfig } from '../../shared/platform/config-file';
import { createLogger } from '../../shared/platform/logger';
import { TenantStore, monthPeriod } from '../../shared/tenancy/store';
import { requireTask } from '../../activities/pipeline/pipeline-activities';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';

/**
 * callModel's next attempt and the earlier ones whose result never reached the workflow, with the
 * real OpenAI adapter over loopback and a real SQLite tenant store: a dead worker's open
 * reservation is charged at its worst case, a run billed by a worker that died before its
 * workflow heard of it is reported at its bill, and both are in the attempt's result.
 */
const PRICE = { input: 2, output: 8 };
let mock: MockUpstream;
let store: TenantStore;
let tmp = '';
let activities: ReturnType<typeof createActivities>;
const registry = parseFileConfig(
  {
    providers: [{ name: 'openai', type: 'openai' }],
    models: [{ provider: 'openai', name: 'ok', price: PRICE }],
  },
  'test',
);
const TENANT = 'acme';
const billing = { tenantId: TENANT, promptVersion: 'v1', limitMicros: 1_000_000 };
const input = { subject: 'Refund', body: 'I was charged twice for my subscription' };

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'keel-interrupted-'));
  store = await TenantStore.open({ sqlitePath: path.join(tmp, 'keel.db') });
  await store.createTenant(
    { id: TENANT, name: 'Acme', planId: 'pro', status: 'active', overrides: {} },
    Date.now(),
  );
  activities = createActivities({
    logger: createLogger({ name: 'test', level: 'silent' }),
    inputKeySecret: 'test-input-key-secret',
    registry,
    providers: [
      createOpenAIProvider({ name: 'openai', apiKey: 'test', baseURL: `${mock.url}/v1` }),
    ],
    store,
  });
});
afterAll(async () => {
  await store?.close();
  await mock?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => mock.clearAttempts());

/** One attempt of the call `<job>/run-1/7`, as Temporal would run it. */
const attempt = (job: string, n: number): Promise<CallModelResult> =>
  new MockActivityEnvironment({
    activityId: '7',
    attempt: n,
    startToCloseTimeoutMs: 5_000,
    workflowExecution: { workflowId: job, runId: 'run-1' },
  }).run(activities.callModel, {
    task: 'classify-ticket',
    input,
    provider: 'openai',
    model: 'ok',
    billing,
  });

const spent = async (): Promise<number> =>
  (await store.budgetState(TENANT, monthPeriod(Date.now()))).spentMicros;
const billedMicros = (a: { inputTokens: number; outputTokens: number }): number =>
  a.inputTokens * PRICE.input + a.outputTokens * PRICE.output;

describe('the next attempt of a model call', () => {
  it('charges a dead worker’s open reservation at its worst case, and reports it', async () => {
    // What a worker killed mid-call leaves: the call's reservation, never settled.
    const model = findModel(registry, 'openai', 'ok') as ModelEntry;
    const request = renderTaskRequest({ task: requireTask('classify-ticket'), input });
    const before = await spent();
    const dead = await openBill({
      store,
      billing,
      jobId: 'job-a',
      callId: 'job-a/run-1/7/1/deadbeef',
      callKey: 'job-a/run-1/7',
      task: 'classify-ticket',
      provider: 'openai',
      model,
      worstCase: {
        inputTokens: worstCaseInputTokens(request.messages, undefined),
        outputTokens: 512,
        cachedInputTokens: 0,
      },
      now: Date.now,
      holdMs: 3_600_000,
    });
    expect(dead).toBeDefined();
    const held = (await store.budgetState(TENANT, monthPeriod(Date.now()))).reservedMicros;
    expect(held).toBeGreaterThan(0);

    // Temporal runs attempt 2 on another worker.
    const result = await attempt('job-a', 2);
    const [call] = mock.attempts();
    expect(result.interrupted).toEqual({ calls: 1, costUsd: held / 1e6 });
    // Attempt 2: the number counts the cut-off call already.
    expect(result.attempt).toBe(2);
    // Charged at once (its hold has an hour to run): the worst case and this call's bill.
    expect(await spent()).toBe(before + held + billedMicros(call!));
    expect((await store.budgetState(TENANT, monthPeriod(Date.now()))).reservedMicros).toBe(0);
  });

  it('reports a run billed by a worker that died before its workflow heard of it, at its bill', async () => {
    // A local activity: the vendor answered and the worker settled the bill, then died before
    // its workflow task completed; the next worker runs the same attempt (number 1) again.
    const first = await attempt('job-b', 1);
    expect(first.interrupted).toBeUndefined();
    const again = await attempt('job-b', 1);
    expect(mock.attempts()).toHaveLength(2);
    // The first run is in the answer's meta: its real cost, and as a call made.
    expect(again.interrupted).toEqual({ calls: 1, costUsd: first.costUsd });
    expect(again.attempt).toBe(2);
  });

  it('reports nothing on a first attempt', async () => {
    const result = await attempt('job-c', 1);
    expect(result.interrupted).toBeUndefined();
    expect(result.attempt).toBe(1);
  });
});
