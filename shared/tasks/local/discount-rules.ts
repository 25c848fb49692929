/**
 * Rule-based discount behind the built-in `local` provider for `suggest-discount`: a few
 * transparent points, added up and capped, with a reason that lists each one. Bundled into
 * workflow code: no I/O, no clock, no randomness.
 *
 * The fallback only sees the input, not the tenant's maximum, so it stays modest (at most
 * `HOUSE_CAP_PERCENT`); the task's clamp rule lowers it further for tenants with a lower cap.
 *
 * | factor | points |
 * | --- | --- |
 * | free plan, or no monthly spend | no discount at all: nothing is billed |
 * | tenure 12-23 / 24-35 / 36+ months | 2 / 4 / 6 |
 * | monthly spend ≥ 500 / ≥ 2,000 | 2 / 4 |
 * | churn risk medium / high | 4 / 8 |
 * | no churn risk given, but the context talks about cancelling or a competitor | 4 (as medium) |
 * | 3 or more open tickets (service recovery) | 3 |
 * | enterprise plan (contracted accounts) | 2 |
 */

export const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];
export const CHURN_RISKS = ['low', 'medium', 'high'] as const;
export type ChurnRisk = (typeof CHURN_RISKS)[number];

export interface DiscountCustomer {
  tenureMonths: number;
  plan: Plan;
  monthlySpend: number;
  openTickets?: number;
  churnRisk?: ChurnRisk;
}

export interface DiscountInput {
  customer: DiscountCustomer;
  context: string;
}

export interface DiscountSuggestion {
  discountPercent: number;
  reason: string;
}

/** The most the rule-based fallback ever suggests, whatever the tenant allows. */
export const HOUSE_CAP_PERCENT = 20;

const CHURN_POINTS: Record<ChurnRisk, number> = { low: 0, medium: 4, high: 8 };
const LEAVING =
  /\b(?:cancel\w*|churn\w*|switch\w*|competitor\w*|leav(?:e|ing)|too expensive|cheaper|unsubscribe)\b/i;

function tenurePoints(months: number): number {
  if (months >= 36) return 6;
  if (months >= 24) return 4;
  return months >= 12 ? 2 : 0;
}

function spendPoints(spend: number): number {
  if (spend >= 2_000) return 4;
  return spend >= 500 ? 2 : 0;
}

const money = (n: number): string =>
  Number.isInteger(n) ? String(n) : (Math.round(n * 100) / 100).toFixed(2);

export function suggestDiscountByRules(input: DiscountInput): DiscountSuggestion {
  const c = input.customer;
  if (c.plan === 'free' || c.monthlySpend <= 0) {
    const why =
      c.plan === 'free' ? 'the customer is on the free plan' : 'there is no monthly spend';
    return { discountPercent: 0, reason: `No discount: ${why}, so nothing is billed to discount.` };
  }
  const factors: Array<[string, number]> = [];
  const tenure = tenurePoints(c.tenureMonths);
  if (tenure > 0) factors.push([`tenure of ${c.tenureMonths} months`, tenure]);
  const spend = spendPoints(c.monthlySpend);
  if (spend > 0) factors.push([`monthly spend of ${money(c.monthlySpend)}`, spend]);
  if (c.churnRisk !== undefined) {
    if (CHURN_POINTS[c.churnRisk] > 0)
      factors.push([`${c.churnRisk} churn risk`, CHURN_POINTS[c.churnRisk]]);
  } else if (LEAVING.test(input.context)) {
    factors.push(['the customer mentions leaving (treated as medium churn risk)', 4]);
  }
  if ((c.openTickets ?? 0) >= 3) factors.push([`${c.openTickets} open tickets`, 3]);
  if (c.plan === 'enterprise') factors.push(['enterprise plan', 2]);

  const points = factors.reduce((s, [, p]) => s + p, 0);
  const discountPercent = Math.min(HOUSE_CAP_PERCENT, points);
  if (factors.length === 0)
    return {
      discountPercent: 0,
      reason: `No discount: ${c.plan} plan, ${c.tenureMonths} months of tenure, monthly spend of ${money(c.monthlySpend)} and no churn signal.`,
    };
  const listed = factors.map(([name, p]) => `${name} (+${p})`).join(', ');
  const capped = points > HOUSE_CAP_PERCENT ? `, capped at ${HOUSE_CAP_PERCENT}%` : '';
  return { discountPercent, reason: `${discountPercent}% for ${listed}${capped}.` };
}
