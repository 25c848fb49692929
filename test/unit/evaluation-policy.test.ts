import { describe, expect, it } from 'vitest';
import {
  EvaluationPolicy,
  evaluationOf,
  PlanDefinition,
  TenantOverrides,
} from '../../shared/tenancy/plans';
import { sampled } from '../../shared/observability/experiment-stats';

/** The `evaluation` setting of a plan and a tenant (docs/evaluation.md). */
describe('evaluation policy', () => {
  const plan = PlanDefinition.parse({
    id: 'team',
    name: 'Team',
    evaluation: { sampleRate: 0.1, route: ['openai:gpt-4o-mini'] },
  });

  it('the override wins, null turns the plan’s off, rate 0 is off, minScore defaults to 0.7', () => {
    expect(evaluationOf(plan, {})).toEqual({
      sampleRate: 0.1,
      route: ['openai:gpt-4o-mini'],
      minScore: 0.7,
    });
    const own = TenantOverrides.parse({ evaluation: { sampleRate: 1 } });
    expect(evaluationOf(plan, own)).toEqual({ sampleRate: 1, minScore: 0.7 });
    expect(evaluationOf(plan, { evaluation: null })).toBeUndefined();
    expect(evaluationOf(undefined, TenantOverrides.parse({ evaluation: { sampleRate: 0 } }))).toBe(
      undefined,
    );
    expect(evaluationOf({}, {})).toBeUndefined();
  });

  it('refuses bad values naming the field', () => {
    const paths = (v: unknown) =>
      EvaluationPolicy.safeParse(v).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ sampleRate: 1.5 })).toEqual(['sampleRate']);
    expect(paths({ sampleRate: -0.1 })).toEqual(['sampleRate']);
    expect(paths({})).toEqual(['sampleRate']);
    expect(paths({ sampleRate: 0.5, route: ['gpt-4o'] })).toEqual(['route.0']);
    expect(paths({ sampleRate: 0.5, route: [] })).toEqual(['route']);
    expect(paths({ sampleRate: 0.5, minScore: 2 })).toEqual(['minScore']);
    expect(paths({ sampleRate: 0.5, every: 2 })).toEqual(['']);
  });

  it('samples by the job id: the same decision every time, near the rate over many jobs', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `classify-ticket-${i}`);
    const picked = ids.filter((id) => sampled('evaluation', id, 0.1));
    expect(picked.length).toBeGreaterThan(900);
    expect(picked.length).toBeLessThan(1100);
    expect(ids.filter((id) => sampled('evaluation', id, 0.1))).toEqual(picked);
  });
});
