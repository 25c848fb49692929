import { z } from 'zod';
import { defineTask, renderInput, type BusinessRule } from './task-definition';
import { CHURN_RISKS, PLANS, suggestDiscountByRules } from './local/discount-rules';

export const REASON_MAX_CHARS = 500;

export const SuggestDiscountInput = z
  .object({
    customer: z
      .object({
        tenureMonths: z.number().int().min(0).max(1_200),
        plan: z.enum(PLANS),
        monthlySpend: z.number().min(0).max(1e9).describe('In the account currency.'),
        openTickets: z.number().int().min(0).max(10_000).optional(),
        churnRisk: z.enum(CHURN_RISKS).optional(),
      })
      .strict(),
    context: z
      .string()
      .max(5_000)
      .default('')
      .describe('What the customer asked, or why a discount is considered.'),
  })
  .strict();

export const SuggestDiscountOutput = z
  .object({
    discountPercent: z.number().min(0).max(100),
    reason: z.string().min(1).max(REASON_MAX_CHARS),
  })
  .strict();

type Input = z.output<typeof SuggestDiscountInput>;
type Output = z.output<typeof SuggestDiscountOutput>;

/** `reason` plus a suffix, shortening the reason (with "…") so the result fits the schema. */
function appendToReason(reason: string, suffix: string): string {
  if (reason.length + suffix.length <= REASON_MAX_CHARS) return `${reason}${suffix}`;
  return `${reason.slice(0, REASON_MAX_CHARS - suffix.length - 1).trimEnd()}…${suffix}`;
}

export const withinTenantMaximum: BusinessRule<Input, Output> = {
  id: 'discount-within-tenant-maximum',
  description: "The discount does not exceed the tenant's maximum; a higher one is capped.",
  action: 'clamp',
  check: (output, _input, ctx) =>
    output.discountPercent <= ctx.maxDiscountPercent
      ? []
      : [
          {
            field: 'discountPercent',
            message: `discount ${output.discountPercent}% is above the tenant maximum of ${ctx.maxDiscountPercent}%`,
            rule: 'discount-within-tenant-maximum',
          },
        ],
  repair: (output, _input, ctx) => {
    const max = Math.min(100, Math.max(0, ctx.maxDiscountPercent));
    return {
      discountPercent: max,
      reason: appendToReason(output.reason, ` (capped at the tenant maximum of ${max}%)`),
    };
  },
};

export const suggestDiscount = defineTask({
  name: 'suggest-discount',
  description: 'Suggest a retention discount for a customer, with the reason.',
  input: SuggestDiscountInput,
  output: SuggestDiscountOutput,
  prompt: {
    version: 'suggest-discount@1',
    system:
      'You suggest retention discounts for subscription customers. Answer with JSON: ' +
      '{"discountPercent": number from 0 to 100, "reason": string of at most 500 characters}. ' +
      'Rules: base the discount on the customer data (tenure, plan, monthly spend, open tickets, ' +
      'churn risk) and the context; state in the reason which factors decided it; a customer on ' +
      'the free plan pays nothing, so gets 0; be conservative: discounts above the company ' +
      'maximum are capped.',
    render: (input) => `Suggest a discount for the customer in <input>.\n\n${renderInput(input)}`,
  },
  envelope: { fastMs: 1_500, maxSyncMs: 8_000, hardTimeoutMs: 30_000 },
  route: ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:keel-local-1'],
  maxOutputTokens: 512,
  fallback: (input) => suggestDiscountByRules(input),
  rules: [withinTenantMaximum],
  example: {
    customer: {
      tenureMonths: 26,
      plan: 'pro',
      monthlySpend: 640,
      openTickets: 1,
      churnRisk: 'high',
    },
    context: 'The customer says a competitor offered them a cheaper plan.',
  },
});
