import { describe, expect, it } from 'vitest';
import { FailureType } from '../../shared/contracts/errors';
import { admit, type AdmissionFacts, type AdmissionRegistry } from '../../shared/policy/admission';
import type { PoliciesConfig } from '../../shared/policy/resolve-policy';
import { findTask } from '../../shared/tasks';

const MODELS = ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:keel-local-1'];

const registry = (policies?: PoliciesConfig): AdmissionRegistry => ({
  hasModel: (provider, model) => MODELS.includes(`${provider}:${model}`),
  isInProcess: (provider) => provider === 'local',
  policies,
});

const TICKET = { subject: 'Refund', body: 'I was charged twice' };
const NOW = 1_764_000_000_000;

const facts = (over: Partial<AdmissionFacts> = {}, request = {}): AdmissionFacts => ({
  request: { task: 'classify-ticket', tenantId: 'acme', input: TICKET, options: {}, ...request },
  findTask,
  registry: registry(),
  enabledProviders: new Set(['local', 'openai']),
  now: NOW,
  ...over,
});

describe('admit', () => {
  it('admits a valid request on the task route this deployment can call, with its limits', () => {
    const result = admit(facts());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { admission } = result;
    expect(admission.task.name).toBe('classify-ticket');
    // anthropic has no key here: the task's own route skips it instead of failing.
    expect(admission.candidates).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini', inProcess: false },
      { provider: 'local', model: 'keel-local-1', inProcess: true },
    ]);
    expect(admission.fallback).toEqual({
      provider: 'local',
      model: 'keel-local-1',
      inProcess: true,
    });
    expect(admission.degrade).toEqual(['last-good', 'fallback']);
    expect(admission.limits).toEqual({
      retryAfterBudgetMs: 8_000,
      maxSyncMs: 8_000,
      hardTimeoutMs: 30_000,
      callTimeoutMs: { minMs: 1_500, maxMs: 7_500 },
    });
    expect(admission.admittedAt).toBe(NOW);
  });

  it('gives the input as the task schema parsed it (defaults applied)', () => {
    const result = admit(facts({}, { task: 'summarize', input: { text: 'Hello there. Bye.' } }));
    expect(result.ok && result.admission.input).toMatchObject({ text: 'Hello there. Bye.' });
    expect(result.ok && (result.admission.input as { maxWords?: number }).maxWords).toEqual(
      expect.any(Number),
    );
  });

  it('refuses an unknown task, an input off the schema and bad options, naming fields', () => {
    expect(admit(facts({}, { task: 'write-poem' }))).toEqual({
      ok: false,
      refusal: { type: FailureType.UnknownTask, message: 'Unknown task "write-poem"', errors: [] },
    });
    const input = admit(facts({}, { input: { subject: 'Refund' } }));
    expect(!input.ok && input.refusal.type).toBe(FailureType.InvalidInput);
    expect(!input.ok && input.refusal.errors.map((e) => e.field)).toEqual(['input.body']);
    const options = admit(facts({}, { options: { maxSyncMs: -1 } }));
    expect(!options.ok && options.refusal.errors.map((e) => e.field)).toEqual([
      'options.maxSyncMs',
    ]);
  });

  it('refuses an explicit route naming what this deployment lacks, entry by entry', () => {
    const result = admit(
      facts(
        {},
        {
          options: { route: ['openai:gpt-4o-mini', 'openai:gpt-99', 'anthropic:claude-haiku-4-5'] },
        },
      ),
    );
    expect(result).toMatchObject({ ok: false, refusal: { type: FailureType.UnknownModel } });
    expect(!result.ok && result.refusal.errors).toEqual([
      { field: 'options.route[1]', message: 'model "gpt-99" is not in the registry for "openai"' },
      { field: 'options.route[2]', message: 'provider "anthropic" is not configured' },
    ]);
  });

  it('refuses a task route with no usable candidate', () => {
    const none = admit(facts({ registry: { ...registry(), hasModel: () => false } }));
    expect(!none.ok && none.refusal).toMatchObject({
      type: FailureType.UnknownModel,
      errors: [{ field: 'options.route', message: 'no usable candidate' }],
    });
  });

  it("resolves the tenant's policy for the task, downgrades included", () => {
    const policies: PoliciesConfig = {
      default: { minConfidence: 0.6 },
      tenants: {
        acme: { degrade: ['review'], tasks: { 'classify-ticket': { minConfidence: 0.9 } } },
      },
    };
    const acme = admit(facts({ registry: registry(policies) }));
    expect(acme.ok && acme.admission.policy.minConfidence).toBe(0.9);
    expect(acme.ok && acme.admission.degrade).toEqual(['review']);
    const other = admit(facts({ registry: registry(policies) }, { tenantId: 'globex' }));
    expect(other.ok && other.admission.policy.minConfidence).toBe(0.6);
    expect(other.ok && other.admission.degrade).toEqual(['last-good', 'fallback']);
  });

  it('without degraded answers: no fallback and no downgrades', () => {
    const result = admit(facts({}, { options: { allowDegraded: false } }));
    expect(result.ok && result.admission.fallback).toBeUndefined();
    expect(result.ok && result.admission.degrade).toEqual([]);
  });

  it('is pure: the same facts give the same answer', () => {
    expect(admit(facts())).toEqual(admit(facts()));
  });
});
