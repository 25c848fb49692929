import { describe, expect, it } from 'vitest';
import {
  applyDataPatch,
  decideDataPolicy,
  type CandidateFacts,
  type DataPolicyPatch,
} from '../../shared/policy/data-policy';
import { resolvePolicy } from '../../shared/policy/resolve-policy';
import type { PlannedCandidate } from '../../shared/policy/routing';

/** The routing matrix: data class × residency × the models' promises → the candidates allowed. */

const MODELS: Record<string, CandidateFacts> = {
  'local:keel-local-1': { inProcess: true },
  'openai:us-plain': { inProcess: false, governance: { regions: ['us'] } },
  'anthropic:eu-hipaa': {
    inProcess: false,
    governance: { regions: ['eu'], attributes: ['hipaa', 'zero-data-retention'] },
  },
  'openai:eu-pci': { inProcess: false, governance: { regions: ['eu', 'us'], attributes: ['pci'] } },
  'openai:unknown': { inProcess: false },
};
const ALL = Object.keys(MODELS);

const candidate = (ref: string): PlannedCandidate => {
  const [provider, model] = ref.split(':') as [string, string];
  return { provider, model, timeoutMs: 1000 };
};

function decide(
  patch: DataPolicyPatch,
  pii: { found?: string[]; redacted?: string[] } = {},
  route = ALL,
) {
  return decideDataPolicy({
    policy: applyDataPatch(undefined, patch),
    candidates: route.map(candidate),
    factsOf: (c) => MODELS[`${c.provider}:${c.model}`]!,
    pii: { found: pii.found ?? [], redacted: pii.redacted ?? [] },
  });
}
const allowed = (r: ReturnType<typeof decide>): string[] =>
  r.candidates.filter((c) => !c.skip).map((c) => `${c.provider}:${c.model}`);

describe('the data policy routing matrix', () => {
  it.each<[string, DataPolicyPatch, { found?: string[]; redacted?: string[] }, string, string[]]>([
    ['internal, no residency: every model', {}, {}, 'internal', ALL],
    [
      'public, residency eu: no rule applies',
      { class: 'public', residency: 'eu' },
      {},
      'public',
      ALL,
    ],
    [
      'an e-mail sent in clear, residency eu: pii stays in the EU',
      { residency: 'eu' },
      { found: ['email'] },
      'pii',
      ['local:keel-local-1', 'anthropic:eu-hipaa', 'openai:eu-pci'],
    ],
    [
      'an e-mail redacted before any model sees it: not pii',
      { residency: 'eu' },
      { found: ['email'], redacted: ['email'] },
      'internal',
      ALL,
    ],
    [
      'phi declared, residency eu: hipaa in the EU, or in-process',
      { class: 'phi', residency: 'eu' },
      {},
      'phi',
      ['local:keel-local-1', 'anthropic:eu-hipaa'],
    ],
    [
      'a medical record number found by screening, even redacted: phi, hipaa only',
      {},
      { found: ['medical-record', 'email'], redacted: ['medical-record', 'email'] },
      'phi',
      ['local:keel-local-1', 'anthropic:eu-hipaa'],
    ],
    [
      'a diagnosis code sent in clear, residency eu: phi in the EU',
      { residency: 'eu' },
      { found: ['diagnosis-code'] },
      'phi',
      ['local:keel-local-1', 'anthropic:eu-hipaa'],
    ],
    [
      'a prescriber id (NPI) sent in clear: pii, not phi',
      {},
      { found: ['prescriber-id'] },
      'pii',
      ALL,
    ],
    [
      'a card number sent in clear: pci, anywhere a pci model runs',
      {},
      { found: ['credit-card', 'email'] },
      'pci',
      ['local:keel-local-1', 'openai:eu-pci'],
    ],
    [
      'confidential, residency us: zero data retention in the US — none but in-process',
      { class: 'confidential', residency: 'us' },
      {},
      'confidential',
      ['local:keel-local-1'],
    ],
    [
      'a tenant rule replaces the built-in one: pii may leave the region',
      { residency: 'eu', rules: { pii: { residency: false } } },
      { found: ['phone'] },
      'pii',
      ALL,
    ],
  ])('%s', (_name, patch, pii, dataClass, expected) => {
    const r = decide(patch, pii);
    expect(r.decision.dataClass).toBe(dataClass);
    expect(allowed(r)).toEqual(expected);
    expect(r.decision.denied).toBeUndefined();
    // Each skipped candidate carries the rule it broke.
    for (const c of r.candidates.filter((x) => x.skip)) expect(c.skip).toMatch(/^policy: /);
    expect(r.decision.skipped).toHaveLength(ALL.length - expected.length);
  });

  it('names the rule of the most sensitive class, and the region a model is in', () => {
    const r = decide({ class: 'phi', residency: 'eu' }, { found: ['email'] });
    expect(r.decision.classes).toEqual(['pii', 'phi']);
    expect(r.decision.detected).toEqual(['email']);
    expect(r.decision.skipped).toEqual([
      { candidate: 'openai:us-plain', rule: 'phi data needs a model with hipaa' },
      { candidate: 'openai:eu-pci', rule: 'phi data needs a model with hipaa' },
      { candidate: 'openai:unknown', rule: 'phi data needs a model with hipaa' },
    ]);
    const pii = decide({ residency: 'eu' }, { found: ['email'] });
    expect(pii.decision.skipped).toEqual([
      { candidate: 'openai:us-plain', rule: 'pii data stays in eu; the model is in us' },
      {
        candidate: 'openai:unknown',
        rule: 'pii data stays in eu; the model is in an unknown region',
      },
    ]);
  });

  it('denies the request when no candidate of the route may see it', () => {
    const r = decide({ class: 'phi' }, {}, ['openai:us-plain', 'openai:eu-pci']);
    expect(allowed(r)).toEqual([]);
    expect(r.decision.denied).toEqual({ rule: 'phi data needs a model with hipaa' });
  });

  it('keeps another skip reason, and does not call that a policy denial', () => {
    const open = { ...candidate('anthropic:eu-hipaa'), skip: 'circuit open' };
    const r = decideDataPolicy({
      policy: applyDataPatch(undefined, { class: 'phi' }),
      candidates: [open],
      factsOf: (c) => MODELS[`${c.provider}:${c.model}`]!,
      pii: { found: [], redacted: [] },
    });
    expect(r.candidates[0]!.skip).toBe('circuit open');
    expect(r.decision.denied).toBeUndefined();
  });
});

describe('data in the resolved policy', () => {
  it('is absent unless a policy names it, and merges default ← tenant ← task', () => {
    expect(resolvePolicy({ config: {}, tenantId: 'acme', task: 'classify-ticket' }).data).toBe(
      undefined,
    );
    const policy = resolvePolicy({
      config: {
        default: { data: { residency: 'eu' } },
        tenants: {
          acme: {
            data: { class: 'confidential' },
            tasks: { 'extract-invoice': { data: { rules: { pci: { requires: [] } } } } },
          },
        },
      },
      tenantId: 'acme',
      task: 'extract-invoice',
    });
    expect(policy.data).toMatchObject({
      class: 'confidential',
      residency: 'eu',
      rules: { pci: { requires: [], residency: false }, phi: { requires: ['hipaa'] } },
    });
  });
});
