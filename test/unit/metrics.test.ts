import { describe, expect, it } from 'vitest';
import {
  metricsAuthorized,
  recordTaskRequest,
  registry,
  taskLabel,
} from '../../shared/platform/metrics';

/** A counter's samples as `label=value,…` → value. */
async function samples(name: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(name)!.get();
  return Object.fromEntries(
    metric.values.map((v) => [
      Object.entries(v.labels)
        .map(([k, l]) => `${k}=${l}`)
        .join(','),
      v.value,
    ]),
  );
}

describe('metric labels stay bounded', () => {
  it('names a task only when Keel defines it', () => {
    expect(taskLabel('classify-ticket')).toBe('classify-ticket');
    expect(taskLabel('x'.repeat(200))).toBe('unknown');
    expect(taskLabel('constructor')).toBe('unknown');
  });

  it('counts a refusal by its problem and plan, and no other problem as one', async () => {
    registry.resetMetrics();
    recordTaskRequest({ task: 'made-up-1', status: 404, seconds: 0.01, refusal: 'unknown-task' });
    recordTaskRequest({ task: 'made-up-2', status: 404, seconds: 0.01, refusal: 'unknown-task' });
    recordTaskRequest({ task: 'summarize', status: 422, seconds: 0.2, refusal: 'input-rejected' });
    recordTaskRequest({
      task: 'summarize',
      status: 429,
      seconds: 0.01,
      refusal: 'rate-limited',
      plan: 'pro',
    });
    recordTaskRequest({ task: 'summarize', status: 401, seconds: 0.01, refusal: 'unauthorized' });
    recordTaskRequest({ task: 'summarize', status: 503, seconds: 0.01, refusal: 'overloaded' });
    expect(await samples('keel_requests_total')).toEqual({
      'task=unknown,status=404': 2,
      'task=summarize,status=422': 1,
      'task=summarize,status=429': 1,
      'task=summarize,status=401': 1,
      'task=summarize,status=503': 1,
    });
    expect(await samples('keel_admission_refusals_total')).toEqual({
      'reason=rate-limited,plan=pro': 1,
      'reason=overloaded,plan=none': 1,
    });
  });
});

describe('the metrics token', () => {
  it('lets anyone read without one, and only its bearer with one', () => {
    expect(metricsAuthorized(undefined, undefined)).toBe(true);
    const token = 'a-metrics-token-of-length';
    expect(metricsAuthorized(undefined, token)).toBe(false);
    expect(metricsAuthorized(`Bearer ${token}x`, token)).toBe(false);
    expect(metricsAuthorized(token, token)).toBe(false);
    expect(metricsAuthorized(`Bearer ${token}`, token)).toBe(true);
    expect(metricsAuthorized(`bearer  ${token} `, token)).toBe(true);
  });
});
