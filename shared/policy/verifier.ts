import { z } from 'zod';

/**
 * The verifier layer (docs/verifier.md): after the other layers pass, a second model on its own
 * route scores the answer's faithfulness to the task's input. Off unless a policy names it; a
 * level may name `null` to turn an inherited verifier off (a tenant's task, say).
 */
export const VerifierPolicy = z
  .object({
    /** `provider:model` candidates, tried in order until one gives a readable verdict. */
    route: z
      .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9._:/-]+$/, 'expected provider:model'))
      .min(1)
      .max(3),
    /** An answer scoring below this fails the layer. @default 0.7 */
    minScore: z.number().min(0).max(1).default(0.7),
    /**
     * What a failing score does: `re-ask` the same model once with the unsupported claims named
     * (then `next`), the `next` candidate, a person's `review`, or `reject` (422). @default 're-ask'
     */
    action: z.enum(['re-ask', 'next', 'review', 'reject']).default('re-ask'),
    /**
     * When no candidate gives a verdict (calls failed, or no readable verdict): `open` passes the
     * answer with a reason in meta, `closed` fails the layer (and takes `action`).
     */
    failure: z.enum(['open', 'closed']),
    /** One verifier call's timeout (each candidate gets two attempts). @default 5000 */
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /**
     * The most the verifier may cost for one answer, in USD: once its calls cost this much no
     * further candidate is asked (then `failure` decides). Absent: no cap beyond the budget.
     */
    maxCostUsd: z.number().positive().max(10).optional(),
  })
  .strict();
export type VerifierPolicy = z.infer<typeof VerifierPolicy>;

/** The `validation` key of a policy level. */
export const ValidationPolicyPatch = z
  .object({ verifier: VerifierPolicy.nullable().optional() })
  .strict();
export type ValidationPolicyPatch = z.infer<typeof ValidationPolicyPatch>;

/** What a request runs under: a verifier, or none. */
export interface ValidationPolicy {
  verifier?: VerifierPolicy;
}

/** The later level wins whole (a verifier's fields belong together); `null` turns it off. */
export function applyValidationPatch(
  base: ValidationPolicy | undefined,
  patch: ValidationPolicyPatch | undefined,
): ValidationPolicy | undefined {
  if (patch?.verifier === undefined) return base;
  return patch.verifier === null ? undefined : { verifier: patch.verifier };
}
