import { describe, expect, it } from 'vitest';
import {
  REASON_MAX_CHARS,
  SuggestDiscountInput,
  SuggestDiscountOutput,
  suggestDiscount,
  withinTenantMaximum,
} from '../../shared/tasks/suggest-discount';
import {
  HOUSE_CAP_PERCENT,
  suggestDiscountByRules,
  type DiscountCustomer,
} from '../../shared/tasks/local/discount-rules';
import type { RuleContext } from '../../shared/tasks';

const ctx = (maxDiscountPercent: number): RuleContext => ({
  maxDiscountPercent,
  minConfidence: 0.5,
});
const input = SuggestDiscountInput.parse({
  customer: { tenureMonths: 30, plan: 'pro', monthlySpend: 400 },
  context: 'Asked for a discount to renew.',
});

describe('discount-within-tenant-maximum', () => {
  it('is a clamp rule with a repair', () => {
    expect(withinTenantMaximum.id).toBe('discount-within-tenant-maximum');
    expect(withinTenantMaximum.action).toBe('clamp');
    expect(withinTenantMaximum.repair).toBeTypeOf('function');
    expect(suggestDiscount.rules).toContain(withinTenantMaximum);
  });

  it('passes at or below the maximum, fails above it', () => {
    expect(withinTenantMaximum.check({ discountPercent: 15, reason: 'r' }, input, ctx(15))).toEqual(
      [],
    );
    expect(withinTenantMaximum.check({ discountPercent: 0, reason: 'r' }, input, ctx(0))).toEqual(
      [],
    );
    expect(withinTenantMaximum.check({ discountPercent: 60, reason: 'r' }, input, ctx(25))).toEqual(
      [
        {
          field: 'discountPercent',
          message: 'discount 60% is above the tenant maximum of 25%',
          rule: 'discount-within-tenant-maximum',
        },
      ],
    );
    expect(
      withinTenantMaximum.check({ discountPercent: 15.5, reason: 'r' }, input, ctx(15)),
    ).toHaveLength(1);
  });

  it('repairs to exactly the maximum, says so in the reason, and then passes', () => {
    const repaired = withinTenantMaximum.repair!(
      { discountPercent: 60, reason: 'Loyal customer.' },
      input,
      ctx(25),
    );
    expect(repaired).toEqual({
      discountPercent: 25,
      reason: 'Loyal customer. (capped at the tenant maximum of 25%)',
    });
    expect(withinTenantMaximum.check(repaired, input, ctx(25))).toEqual([]);
    expect(SuggestDiscountOutput.safeParse(repaired).success).toBe(true);
  });

  it('keeps a long reason within the schema after the suffix', () => {
    const long = 'x'.repeat(REASON_MAX_CHARS);
    const repaired = withinTenantMaximum.repair!(
      { discountPercent: 90, reason: long },
      input,
      ctx(12.5),
    );
    expect(repaired.reason.length).toBeLessThanOrEqual(REASON_MAX_CHARS);
    expect(repaired.reason).toMatch(/… \(capped at the tenant maximum of 12\.5%\)$/);
    expect(SuggestDiscountOutput.safeParse(repaired).success).toBe(true);
  });

  it("clamps the mock upstream's 60% for every tenant maximum below it", () => {
    for (const max of [0, 5, 15, 20, 30, 59]) {
      const out = { discountPercent: 60, reason: 'Big discount.' };
      expect(withinTenantMaximum.check(out, input, ctx(max))).toHaveLength(1);
      const repaired = withinTenantMaximum.repair!(out, input, ctx(max));
      expect(repaired.discountPercent).toBe(max);
      expect(withinTenantMaximum.check(repaired, input, ctx(max))).toEqual([]);
    }
  });
});

type Row = [
  name: string,
  customer: DiscountCustomer,
  context: string,
  percent: number,
  says: RegExp,
];
// prettier-ignore
const TABLE: Row[] = [
  ['free plan gets nothing', { tenureMonths: 60, plan: 'free', monthlySpend: 0, churnRisk: 'high' }, '', 0, /free plan/],
  ['no spend gets nothing', { tenureMonths: 40, plan: 'pro', monthlySpend: 0 }, '', 0, /no monthly spend/],
  ['new, small, happy: nothing', { tenureMonths: 3, plan: 'starter', monthlySpend: 20, churnRisk: 'low' }, '', 0, /no churn signal/],
  ['one year of tenure', { tenureMonths: 12, plan: 'starter', monthlySpend: 50 }, '', 2, /tenure of 12 months \(\+2\)/],
  ['two years and mid spend', { tenureMonths: 30, plan: 'pro', monthlySpend: 400 }, 'Renewal.', 4, /tenure of 30 months \(\+4\)/],
  ['long tenure and high spend', { tenureMonths: 48, plan: 'pro', monthlySpend: 2500 }, '', 10, /monthly spend of 2500 \(\+4\)/],
  ['medium churn risk', { tenureMonths: 6, plan: 'starter', monthlySpend: 30, churnRisk: 'medium' }, '', 4, /medium churn risk \(\+4\)/],
  ['high churn risk with tenure', { tenureMonths: 26, plan: 'pro', monthlySpend: 640, churnRisk: 'high' }, '', 14, /high churn risk \(\+8\)/],
  ['talks about a competitor', { tenureMonths: 6, plan: 'pro', monthlySpend: 99.5 }, 'A competitor offered them a cheaper deal.', 4, /mentions leaving/],
  ['a stated low risk outweighs the context', { tenureMonths: 6, plan: 'pro', monthlySpend: 99, churnRisk: 'low' }, 'Thinking of cancelling.', 0, /No discount/],
  ['service recovery after open tickets', { tenureMonths: 2, plan: 'starter', monthlySpend: 30, openTickets: 4 }, '', 3, /4 open tickets \(\+3\)/],
  ['enterprise account', { tenureMonths: 13, plan: 'enterprise', monthlySpend: 800 }, '', 6, /enterprise plan \(\+2\)/],
  ['everything at once is capped', { tenureMonths: 72, plan: 'enterprise', monthlySpend: 10_000, openTickets: 5, churnRisk: 'high' }, '', HOUSE_CAP_PERCENT, /capped at 20%/],
];

describe('suggestDiscountByRules', () => {
  it.each(TABLE)('%s', (_name, customer, context, percent, says) => {
    const out = suggestDiscountByRules({ customer, context });
    expect(out.discountPercent).toBe(percent);
    expect(out.reason).toMatch(says);
    expect(SuggestDiscountOutput.safeParse(out).success).toBe(true);
  });

  it('never goes above the house cap and leaves room in the reason for the clamp suffix', () => {
    for (const [, customer, context] of TABLE) {
      const out = suggestDiscountByRules({ customer, context });
      expect(out.discountPercent).toBeLessThanOrEqual(HOUSE_CAP_PERCENT);
      expect(out.reason.length).toBeLessThanOrEqual(400);
    }
  });

  it('states the percentage and the factors behind it', () => {
    const out = suggestDiscountByRules({
      customer: { tenureMonths: 26, plan: 'pro', monthlySpend: 640, churnRisk: 'high' },
      context: '',
    });
    expect(out.reason).toBe(
      '14% for tenure of 26 months (+4), monthly spend of 640 (+2), high churn risk (+8).',
    );
  });

  it('a tenant with a lower cap gets the fallback clamped', () => {
    const parsed = SuggestDiscountInput.parse(suggestDiscount.example);
    const out = suggestDiscount.fallback(parsed);
    expect(out.discountPercent).toBeGreaterThan(10);
    const repaired = withinTenantMaximum.repair!(out, parsed, ctx(10));
    expect(repaired.discountPercent).toBe(10);
    expect(repaired.reason).toContain('capped at the tenant maximum of 10%');
  });
});

describe('suggest-discount schemas', () => {
  it('validates the customer strictly and defaults the context', () => {
    expect(
      SuggestDiscountInput.parse({ customer: { tenureMonths: 0, plan: 'free', monthlySpend: 0 } })
        .context,
    ).toBe('');
    const bad = [
      { customer: { tenureMonths: -1, plan: 'pro', monthlySpend: 1 }, context: '' },
      { customer: { tenureMonths: 1.5, plan: 'pro', monthlySpend: 1 }, context: '' },
      { customer: { tenureMonths: 1, plan: 'gold', monthlySpend: 1 }, context: '' },
      { customer: { tenureMonths: 1, plan: 'pro', monthlySpend: -5 }, context: '' },
      { customer: { tenureMonths: 1, plan: 'pro', monthlySpend: 1, churnRisk: 'extreme' } },
      { customer: { tenureMonths: 1, plan: 'pro', monthlySpend: 1, extra: true } },
      { customer: { tenureMonths: 1, plan: 'pro', monthlySpend: 1 }, context: 'x'.repeat(5_001) },
    ];
    for (const input of bad) expect(SuggestDiscountInput.safeParse(input).success).toBe(false);
  });

  it('bounds the output', () => {
    expect(SuggestDiscountOutput.safeParse({ discountPercent: 101, reason: 'r' }).success).toBe(
      false,
    );
    expect(SuggestDiscountOutput.safeParse({ discountPercent: -1, reason: 'r' }).success).toBe(
      false,
    );
    expect(SuggestDiscountOutput.safeParse({ discountPercent: 5, reason: '' }).success).toBe(false);
  });
});
