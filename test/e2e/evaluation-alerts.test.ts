import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/processes';
import { scrapeMetrics } from '../support/prometheus';
import { startStack, upstreamEnv, type Stack } from '../support/stack';
import { startHookReceiver } from '../support/hook-receiver';
import { tenantApi } from '../support/tenant-api';

/**
 * Alerts on the sampled evaluation's rates end to end (docs/evaluation.md, docs/drift.md): the
 * API and a worker process against the suite's dev server and the mock upstream. A tenant has
 * every answer evaluated by the mock's `ok` as verifier. `drift-unfaithful` answers as `ok` for
 * its first 20 calls, then appends a promise the verifier scores 0.2. With a baseline and a
 * window of 20 evaluated answers and at least 15, `GET /v1/drift` must show `hallucination-rate`
 * drifted within 20 evaluated answers after the verdicts turn bad (15 is the earliest it can);
 * the worker (checking every 5 evaluations) raises it once: a metric, a log line and a
 * `drift.detected` webhook. `ok`, as many answers, raises nothing.
 */

const AFTER = 20;
const WINDOW = 20;
const MIN = 15;
const STEP = 5;

const TICKETS = [
  ['Refund', 'I was charged twice for my subscription'],
  ['Crash', 'The app crashes with an error when I upload a file'],
  ['Login', 'I cannot log in to my account after the password reset'],
  ['Invoice', 'My invoice shows the wrong amount, please refund the payment'],
] as const;

let mock: MockUpstream;
let stack: Stack;
let key: string;
let workerMetrics: string;
let receiver: Awaited<ReturnType<typeof startHookReceiver>>;
let detectedAfter: number | undefined;
const { call, tenant } = tenantApi(() => stack);

beforeAll(async () => {
  receiver = await startHookReceiver();
  mock = await startMockUpstream({ driftAfterCalls: AFTER });
  const port = await freePort();
  workerMetrics = `http://127.0.0.1:${port}/metrics`;
  stack = await startStack({
    ...upstreamEnv(mock.url),
    KEEL_DRIFT_BASELINE: String(AFTER),
    KEEL_DRIFT_WINDOW: String(WINDOW),
    KEEL_DRIFT_MIN_SAMPLES: String(MIN),
    KEEL_DRIFT_EVALUATE_EVERY: String(STEP),
    KEEL_WORKER_METRICS_PORT: String(port),
    KEEL_WEBHOOK_ALLOW_PRIVATE: 'true',
  });
  key = await tenant('ea-watched', 'pro', {
    roles: ['caller', 'admin'],
    extra: { overrides: { evaluation: { sampleRate: 1, route: ['openai:ok'] } } },
  });
  const url = receiver.url('/alerts');
  const hook = await call('POST', '/v1/webhooks', { url, events: ['drift.detected'] }, key);
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
}, 180_000);

afterAll(async () => {
  console.log(
    `hallucination-rate drifted after ${detectedAfter} evaluated answers past the change (window ${WINDOW}, at least ${MIN}, checked every ${STEP})`,
  );
  await stack?.stop();
  await mock?.close();
  await receiver?.close();
});

let sent = 0;
/** `n` classify-ticket tasks of the watched tenant through `openai:<model>`, each a 200. */
async function send(model: string, n: number): Promise<void> {
  for (let k = 0; k < n; k++) {
    const i = sent++;
    const [subject, body] = TICKETS[i % TICKETS.length]!;
    const res = await call(
      'POST',
      '/v1/tasks/classify-ticket',
      {
        input: { subject, body: `${body} (ticket ${String(i).padStart(4, '0')})` },
        options: { route: [`openai:${model}`], allowDegraded: false },
      },
      key,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}

async function series(model: string): Promise<any> {
  const res = await call('GET', `/v1/drift?model=${model}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.series).toHaveLength(1);
  return res.body.series[0];
}

/** The series once `n` of its answers have been evaluated (in the background, after each). */
async function evaluated(model: string, n: number): Promise<any> {
  let s: any;
  await waitFor(
    `${n} evaluations of openai:${model}`,
    async () => (s = await series(model).catch(() => undefined))?.evaluations?.evaluated === n,
    { timeoutMs: 60_000 },
  );
  return s;
}

const rate = (s: any, metric = 'hallucination-rate'): any =>
  s.metrics.find((m: any) => m.metric === metric);

describe('alerts on the evaluation rates (baseline 20, window 20, at least 15, alpha 0.001, rise ≥ 0.05)', () => {
  it('faithful answers throughout: 40 evaluated, both rates judged, nothing raised', async () => {
    await send('ok', AFTER + WINDOW);
    const s = await evaluated('ok', AFTER + WINDOW);
    expect(s).toMatchObject({
      task: 'classify-ticket',
      provider: 'openai',
      status: 'stable',
      evaluations: { baseline: { n: AFTER }, recent: { n: WINDOW } },
      alerts: [],
    });
    for (const metric of ['hallucination-rate', 'unsafe-rate'])
      expect(rate(s, metric)).toMatchObject({
        test: 'two-proportion-z',
        enoughSamples: true,
        drifted: false,
        baseline: { n: AFTER, rate: 0 },
        recent: { n: WINDOW, rate: 0 },
        pValue: 1,
      });
  });

  it('verdicts turn bad after 20 answers: hallucination-rate within 20 evaluated answers, alerted once (metric, log, webhook)', async () => {
    await send('drift-unfaithful', AFTER);
    const base = await evaluated('drift-unfaithful', AFTER);
    expect(rate(base)).toMatchObject({ enoughSamples: false, baseline: { n: AFTER, rate: 0 } });
    let s: any;
    for (let after = STEP; after <= WINDOW && detectedAfter === undefined; after += STEP) {
      await send('drift-unfaithful', STEP);
      s = await evaluated('drift-unfaithful', AFTER + after);
      if (rate(s).drifted) detectedAfter = after;
    }
    expect(detectedAfter, 'hallucination-rate drifted within the window').toBeDefined();
    expect(detectedAfter).toBeGreaterThanOrEqual(MIN); // the minimum sample comes first
    expect(s.status).toBe('drifted');
    expect(rate(s)).toMatchObject({
      baseline: { n: AFTER, rate: 0 },
      recent: { n: detectedAfter, rate: 1 },
    });
    expect(rate(s).pValue).toBeLessThan(0.001);
    expect(rate(s, 'unsafe-rate').drifted).toBe(false);

    // The worker's check (every 5 evaluations of the series) raises it: alert, log, webhook.
    await waitFor(
      'hallucination-rate alert firing',
      async () =>
        (await series('drift-unfaithful')).alerts.some(
          (a: any) => a.metric === 'hallucination-rate' && a.firing,
        ),
      { timeoutMs: 20_000 },
    );
    const ours = () => receiver.hooks.filter((h) => h.data?.metric === 'hallucination-rate');
    await waitFor('drift.detected delivered', () => ours().length > 0, { timeoutMs: 30_000 });
    expect(ours()).toHaveLength(1);
    expect(ours()[0]).toMatchObject({
      type: 'drift.detected',
      data: {
        task: 'classify-ticket',
        provider: 'openai',
        model: 'drift-unfaithful',
        metric: 'hallucination-rate',
        test: 'two-proportion-z',
        baseline: { rate: 0 },
        recent: { rate: 1 },
      },
    });
    const logged = stack.worker
      .output()
      .split('\n')
      .filter((l) => l.includes('"event":"drift.detected"') && l.includes('hallucination-rate'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('"model":"drift-unfaithful"');
    // Ids and figures only: no tenant, no job, no ticket text, no answer.
    for (const secret of ['ea-watched', 'classify-ticket-', 'charged twice', 'guaranteed'])
      expect(logged[0]).not.toContain(secret);
    const worker = await scrapeMetrics(workerMetrics);
    expect(
      worker.samples('keel_drift_alerts_total', {
        model: 'drift-unfaithful',
        metric: 'hallucination-rate',
      })[0]?.value,
    ).toBe('1');
    const api = await scrapeMetrics(`${stack.baseUrl}/metrics`);
    expect(
      api.samples('keel_drift_alerts_firing', { metric: 'hallucination-rate' })[0]?.value,
    ).toBe('1');
    // The stable model raised nothing meanwhile.
    expect((await series('ok')).alerts).toEqual([]);
  });
});
