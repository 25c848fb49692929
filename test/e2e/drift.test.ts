import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/processes';
import { scrapeMetrics } from '../support/prometheus';
import { startHookReceiver } from '../support/hook-receiver';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * Drift detection end to end (docs/drift.md): the API and a worker process against the suite's
 * dev server and the mock upstream, whose drift scenarios answer as `ok` for their first 40
 * calls, then change. With a baseline and a window of 40 observations and at least 30 values a
 * metric, `GET /v1/drift` must show the change within 40 calls after it (30 is the earliest it
 * can), and a stable model must show none after as many calls. The worker's evaluation (every 10
 * observations) raises each alert once: a metric, a log line and a `drift.detected` webhook.
 */

const AFTER = 40;
const WINDOW = 40;
const STEP = 10;

/** 6 BILLING, 2 TECHNICAL, 2 ACCOUNT tickets (the local lexicon's reading), cycled. */
const TICKETS = [
  ['Refund', 'I was charged twice for my subscription'],
  ['Invoice', 'My invoice shows the wrong amount, please refund the payment'],
  ['Crash', 'The app crashes with an error when I upload a file'],
  ['Billing', 'Why was my credit card billed again this month?'],
  ['Login', 'I cannot log in to my account after the password reset'],
  ['Charge', 'There is a double charge on my statement'],
  ['Bug', 'The export button throws an error and nothing downloads'],
  ['Price', 'The price on my bill is higher than the plan says'],
  ['Account', 'Please change the email address on my account profile'],
  ['Payment', 'My payment failed but the money left my bank'],
] as const;

let mock: MockUpstream;
let stack: Stack;
let workerMetrics: string;
let receiver: Awaited<ReturnType<typeof startHookReceiver>>;
const detectedAfter: Record<string, string> = {};

beforeAll(async () => {
  receiver = await startHookReceiver();
  mock = await startMockUpstream({ driftAfterCalls: AFTER });
  const port = await freePort();
  workerMetrics = `http://127.0.0.1:${port}/metrics`;
  stack = await startStack({
    ...upstreamEnv(mock.url),
    KEEL_DRIFT_BASELINE: String(AFTER),
    KEEL_DRIFT_WINDOW: String(WINDOW),
    KEEL_DRIFT_MIN_SAMPLES: '30',
    KEEL_DRIFT_EVALUATE_EVERY: String(STEP),
    KEEL_WORKER_METRICS_PORT: String(port),
    KEEL_WEBHOOK_ALLOW_PRIVATE: 'true',
  });
  const url = receiver.url('/drift');
  const hook = await stack.call('/v1/webhooks', {
    method: 'POST',
    body: JSON.stringify({ url, events: ['drift.detected'] }),
  });
  expect(hook.status, await hook.clone().text()).toBe(201);
}, 180_000);

afterAll(async () => {
  console.log(
    `drift detected (calls after the change, window ${WINDOW}, checked every ${STEP}): ${JSON.stringify(detectedAfter)}`,
  );
  await stack?.stop();
  await mock?.close();
  await receiver?.close();
});

let sent = 0;
/** `n` classify-ticket tasks through `openai:<model>`, four at a time; every one must answer 200. */
async function send(model: string, n: number): Promise<void> {
  const one = async (): Promise<void> => {
    const i = sent++;
    const [subject, body] = TICKETS[i % TICKETS.length]!;
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({
        input: { subject, body: `${body} (ticket ${i})` },
        options: { route: [`openai:${model}`] },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  for (let done = 0; done < n; done += 4)
    await Promise.all(Array.from({ length: Math.min(4, n - done) }, one));
}

async function series(model: string): Promise<any> {
  const res = await stack.call(`/v1/drift?model=${model}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  expect(body.series).toHaveLength(1);
  return body.series[0];
}

/** Baseline, then the change in steps of 10 calls until GET /v1/drift shows `metric` drifted. */
async function detect(model: string, metric: string): Promise<any> {
  await send(model, AFTER);
  const baseline = await series(model);
  expect(baseline).toMatchObject({ status: 'collecting-window', baseline: { n: AFTER } });
  for (let after = STEP; after <= WINDOW; after += STEP) {
    await send(model, STEP);
    const s = await series(model);
    const drifted = s.metrics.filter((m: any) => m.drifted).map((m: any) => m.metric);
    if (drifted.length > 0) {
      // Renaming the category also moves the answer's length by a few characters, so the
      // category scenario may flag output-length beside its mix; the rates never move.
      const others = metric === 'category-mix' ? ['output-length'] : [];
      expect(drifted.filter((d: string) => !others.includes(d))).toEqual([metric]);
      expect(s.status).toBe('drifted');
      detectedAfter[model] = `${after} (${drifted.join(', ')})`;
      return s;
    }
  }
  throw new Error(`${model}: no drift after ${WINDOW} calls past the change`);
}

describe('drift detection (baseline 40, window 40, at least 30 values, alpha 0.001, PSI ≥ 0.1)', () => {
  it('a stable model raises nothing after 80 calls', async () => {
    await send('ok', AFTER + WINDOW);
    const s = await series('ok');
    expect(s).toMatchObject({
      provider: 'openai',
      task: 'classify-ticket',
      promptVersion: 'classify-ticket@1',
      observations: AFTER + WINDOW,
      status: 'stable',
      alerts: [],
    });
    expect(s.metrics.every((m: any) => m.enoughSamples && !m.drifted)).toBe(true);
  });

  it('refusals every second call: refusal-rate within 40 calls, alerted once (metric, log, webhook)', async () => {
    const s = await detect('drift-refusals', 'refusal-rate');
    const m = s.metrics.find((x: any) => x.metric === 'refusal-rate');
    expect(m.baseline.rate).toBe(0);
    expect(m.recent.rate).toBeGreaterThanOrEqual(0.25);
    expect(m.pValue).toBeLessThan(0.001);
    // The worker's evaluation (every 10 observations) raises it: the alert, the log, the hook.
    await waitFor(
      'refusal-rate alert firing',
      async () => (await series('drift-refusals')).alerts.some((a: any) => a.firing),
      { timeoutMs: 20_000 },
    );
    await waitFor('drift.detected delivered', () => receiver.hooks.length > 0, {
      timeoutMs: 30_000,
    });
    expect(receiver.hooks[0]).toMatchObject({
      type: 'drift.detected',
      data: {
        task: 'classify-ticket',
        provider: 'openai',
        model: 'drift-refusals',
        metric: 'refusal-rate',
        test: 'chi-square',
      },
    });
    const logged = stack.worker
      .output()
      .split('\n')
      .filter((l) => l.includes('"event":"drift.detected"'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('"model":"drift-refusals"');
    const worker = await scrapeMetrics(workerMetrics);
    expect(
      worker.samples('keel_drift_alerts_total', {
        model: 'drift-refusals',
        metric: 'refusal-rate',
      })[0]?.value,
    ).toBe('1');
    const api = await scrapeMetrics(`${stack.baseUrl}/metrics`);
    expect(api.samples('keel_drift_alerts_firing', { metric: 'refusal-rate' })[0]?.value).toBe('1');
  });

  it('answers three times as long: output-length within 40 calls', async () => {
    const s = await detect('drift-longer', 'output-length');
    const m = s.metrics.find((x: any) => x.metric === 'output-length');
    expect(m.recent.median).toBeGreaterThan(2 * m.baseline.median);
  });

  it('every answer in the next category: category-mix within 40 calls', async () => {
    const s = await detect('drift-categories', 'category-mix');
    const m = s.metrics.find((x: any) => x.metric === 'category-mix');
    expect(m.baseline.mix.BILLING).toBeGreaterThan(m.recent.mix.BILLING);
    expect(m.test).toBe('chi-square');
  });

  it('GET /v1/drift: operator only, problem+json naming a bad query parameter', async () => {
    const bad = await stack.call('/v1/drift?colour=red');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(((await bad.json()) as any).errors).toEqual([
      { field: 'query.colour', message: 'unknown field' },
    ]);
    const badStatus = await stack.call('/v1/drift?status=wobbly');
    expect(((await badStatus.json()) as any).errors[0].field).toBe('query.status');
    const drifted = (await (await stack.call('/v1/drift?status=drifted')).json()) as any;
    expect(drifted.series.map((s: any) => s.model).sort()).toEqual([
      'drift-categories',
      'drift-longer',
      'drift-refusals',
    ]);
  });
});
