import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildDashboardPage } from '../../server/dashboard/dashboard-page';
import type { Span } from '../../server/dashboard/merge';
import { readFigures, type Reading } from '../../server/dashboard/snapshot';
import { quantileMs, seriesPoint, summarise } from '../../server/dashboard/summary';
import {
  labelByTenant,
  recordModelCall,
  recordTaskRequest,
  recordValidationFailure,
  registry,
} from '../../shared/platform/metrics';
import { sharedMetrics } from '../../shared/tenancy/metric-share';

/**
 * The operator dashboard's pure parts: percentiles from histogram buckets as Prometheus's
 * `histogram_quantile` computes them, the figures from the deployment's totals and a window's
 * increase, what a process shares of its registry, and the page as built at start (one inline
 * script with uPlot bundled, one style, both allowed by hash). Merging processes:
 * test/unit/dashboard-merge.test.ts; the page in a browser: test/e2e/dashboard-ui.test.ts.
 */

const BOUNDS = [0.1, 0.5, 1, Infinity];

function reading(over: Partial<Reading> = {}): Reading {
  return {
    requests: new Map(),
    buckets: new Map(),
    bounds: BOUNDS,
    validation: new Map(),
    modelCalls: new Map(),
    inFlight: 0,
    ...over,
  };
}

describe('quantileMs', () => {
  it('interpolates inside the bucket the rank falls in', () => {
    // 10 observations: 4 under 100 ms, 4 more under 500 ms, 2 under 1 s.
    const counts = [4, 8, 10, 10];
    expect(quantileMs(0.5, BOUNDS, counts)).toBe(200); // rank 5: 1/4 of the way 100→500 ms
    expect(quantileMs(0.2, BOUNDS, counts)).toBe(50);
    expect(quantileMs(0.95, BOUNDS, counts)).toBe(875);
  });
  it('answers the highest finite bound for the +Inf bucket, and null for nothing', () => {
    expect(quantileMs(0.99, BOUNDS, [0, 0, 1, 5])).toBe(1000);
    expect(quantileMs(0.5, BOUNDS, [0, 0, 0, 0])).toBeNull();
    expect(quantileMs(0.5, [], [])).toBeNull();
  });
});

describe('summarise', () => {
  // Every process's counts since it started, summed.
  const total = reading({
    requests: new Map([
      ['classify-ticket\t200', 40],
      ['classify-ticket\t502', 5],
      ['summarize\t200', 15],
    ]),
    buckets: new Map([
      ['classify-ticket', [10, 40, 40, 40]],
      ['summarize', [0, 0, 15, 15]],
    ]),
    validation: new Map([
      ['classify-ticket\tschema', 3],
      ['classify-ticket\trules', 2],
    ]),
    modelCalls: new Map([
      ['openai\tok\tok', 40],
      ['openai\t503\tServerError', 5],
      ['openai\t503\tcancelled', 1],
    ]),
    inFlight: 2,
  });
  // What the window added (server/dashboard/merge.ts): 50 answers, 1.67 a second.
  const span: Span = {
    window: reading({
      requests: new Map([
        ['classify-ticket\t200', 30],
        ['classify-ticket\t502', 5],
        ['summarize\t200', 15],
      ]),
      buckets: new Map([
        ['classify-ticket', [0, 30, 30, 30]],
        ['summarize', [0, 0, 15, 15]],
      ]),
      validation: new Map([
        ['classify-ticket\tschema', 2],
        ['classify-ticket\trules', 2],
      ]),
      modelCalls: new Map([
        ['openai\tok\tok', 30],
        ['openai\t503\tServerError', 5],
        ['openai\t503\tcancelled', 1],
      ]),
    }),
    requestsPerSecond: 50 / 30,
  };

  it('counts since start and in the window, and the rate over the window', () => {
    const s = summarise(total, span);
    expect(s.requests).toEqual({
      total: 60,
      byStatus: { '200': 55, '502': 5 },
      inWindow: 50,
      perSecond: 1.67,
    });
    expect(s.inFlight).toBe(2);
  });

  it('takes percentiles of the window’s 200 answers only, per task and together', () => {
    const s = summarise(total, span);
    const classify = s.latency.find((l) => l.task === 'classify-ticket');
    // The 30 answers of the window all fell in 100–500 ms; the 10 before it do not count.
    expect(classify).toMatchObject({ requests: 30, p50Ms: 300 });
    expect(s.latency.find((l) => l.task === 'summarize')).toMatchObject({ requests: 15 });
    expect(s.latencyAll.requests).toBe(45);
  });

  it('lists validation failures by task and layer and model calls with their failures', () => {
    const s = summarise(total, span);
    expect(s.validationFailures).toEqual([
      { task: 'classify-ticket', layer: 'schema', total: 3, inWindow: 2 },
      { task: 'classify-ticket', layer: 'rules', total: 2, inWindow: 2 },
    ]);
    expect(s.modelCalls).toEqual([
      { provider: 'openai', model: 'ok', calls: 40, failures: 0, inWindow: 30 },
      // A cancelled call (a hedge's loser) is not a failure.
      { provider: 'openai', model: '503', calls: 6, failures: 5, inWindow: 6 },
    ]);
  });

  it('has no rate without an earlier sample', () => {
    expect(summarise(total).requests.perSecond).toBeNull();
  });

  it('makes one chart point per span', () => {
    expect(seriesPoint(31_000, span)).toMatchObject({ at: 31_000, requestsPerSecond: 1.67 });
  });
});

describe('sharedMetrics', () => {
  it('shares requests, 200s’ buckets only, validation failures by layer and calls', async () => {
    registry.resetMetrics();
    recordTaskRequest({ task: 'classify-ticket', status: 200, seconds: 0.3 });
    recordTaskRequest({ task: 'classify-ticket', status: 200, seconds: 0.02 });
    recordTaskRequest({
      task: 'classify-ticket',
      status: 429,
      seconds: 0.001,
      refusal: 'rate-limited',
    });
    recordValidationFailure('classify-ticket', 'rules');
    recordValidationFailure('not-a-task', 'schema');
    recordModelCall({ provider: 'openai', model: 'm', outcome: 'ServerError', seconds: 1 });
    const s = readFigures(await sharedMetrics());
    expect(Object.fromEntries(s.requests)).toEqual({
      'classify-ticket\t200': 2,
      'classify-ticket\t429': 1,
    });
    expect(s.bounds.at(-1)).toBe(Infinity);
    // Cumulative: the 20 ms answer from the 25 ms bucket on, the 300 ms one from 500 ms on.
    const counts = s.buckets.get('classify-ticket')!;
    expect(counts[s.bounds.indexOf(0.025)]).toBe(1);
    expect(counts[s.bounds.indexOf(0.5)]).toBe(2);
    expect(counts.at(-1)).toBe(2); // the 429 is not among them
    expect(Object.fromEntries(s.validation)).toEqual({
      'classify-ticket\trules': 1,
      'unknown\tschema': 1,
    });
    expect(Object.fromEntries(s.modelCalls)).toEqual({ 'openai\tm\tServerError': 1 });
  });

  it('sums a tenant label away: no tenant id leaves the process', async () => {
    registry.resetMetrics();
    labelByTenant(true);
    try {
      for (const tenant of ['acme-secret-co', 'globex'])
        recordTaskRequest({ task: 'summarize', status: 200, seconds: 0.1, tenant });
      const shared = await sharedMetrics();
      expect(JSON.stringify(shared)).not.toMatch(/acme-secret-co|globex/);
      const labels = new Set(shared.flatMap((m) => m.values.flatMap((v) => Object.keys(v.labels))));
      expect([...labels].sort()).toEqual(['le', 'status', 'task']);
      expect(shared.map((m) => m.name).sort()).toEqual([
        'keel_model_calls_total',
        'keel_request_duration_seconds',
        'keel_requests_total',
        'keel_tasks_in_flight',
        'keel_validation_failures_total',
      ]);
      expect(Object.fromEntries(readFigures(shared).requests)).toEqual({ 'summarize\t200': 2 });
    } finally {
      labelByTenant(false);
    }
  });
});

describe('buildDashboardPage', () => {
  const hash = (text: string): string =>
    `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

  it('inlines uPlot with the page’s script and style, each allowed by its hash alone', async () => {
    const { html, csp } = await buildDashboardPage();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(csp).toContain(`script-src ${hash(scripts[0]!)};`);
    expect(csp).toContain(`style-src ${hash(styles[0]!)};`);
    expect(csp).not.toMatch(/unsafe-|https?:|\*/);
    expect(scripts[0]).toContain('uplot'); // uPlot's class names: the library is in the bundle
    expect(styles[0]).toContain('.uplot');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|keel:/);
    expect(scripts[0]).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});
