import type { FieldError } from '../contracts/errors';
import type { SkipReason } from '../contracts/route-reasons';

export interface RouteCandidate {
  provider: string;
  model: string;
}

/** A candidate as the plan fixes it: with the call timeout chosen for it. */
export interface PlannedCandidate extends RouteCandidate {
  timeoutMs: number;
  /**
   * The built-in in-process model, decided at admission from the provider's type (never its
   * name): its input needs no redaction and it runs as a local activity. Anything else is
   * external. Absent only in plans recorded before the field existed.
   */
  inProcess?: boolean;
  /** Why this candidate is skipped without a call (its circuit is open), in words. */
  skip?: string;
  /** The same as a route reason, set with `skip`; absent in plans recorded before it existed. */
  skipCode?: SkipReason;
  /**
   * Hedge: when this candidate has not answered after this many ms (its p95), the next one
   * starts beside it and the first valid answer wins (`policy/hedge.ts`). Absent: no hedge.
   */
  hedgeAfterMs?: number;
}

export interface RouteResolution {
  candidates: RouteCandidate[];
  /** Problems with a caller's explicit route, by field (`options.route[1]`). */
  errors: FieldError[];
}

/**
 * Turns `provider:model` refs into candidates this deployment can call. An explicit route
 * (`options.route`) must name only enabled providers and registered models: anything else is a
 * field error. The task's own route is filtered instead (a vendor without a key is skipped).
 */
export function resolveRoute(args: {
  refs: readonly string[];
  explicit: boolean;
  enabledProviders: ReadonlySet<string>;
  hasModel: (provider: string, model: string) => boolean;
}): RouteResolution {
  const candidates: RouteCandidate[] = [];
  const errors: FieldError[] = [];
  args.refs.forEach((ref, i) => {
    const at = ref.indexOf(':');
    const provider = at > 0 ? ref.slice(0, at) : '';
    const model = at > 0 ? ref.slice(at + 1) : '';
    const field = `options.route[${i}]`;
    let problem: string | undefined;
    if (!provider || !model) problem = `"${ref}" is not provider:model`;
    else if (!args.enabledProviders.has(provider))
      problem = `provider "${provider}" is not configured`;
    else if (!args.hasModel(provider, model))
      problem = `model "${model}" is not in the registry for "${provider}"`;
    if (!problem) candidates.push({ provider, model });
    else if (args.explicit) errors.push({ field, message: problem });
  });
  return { candidates, errors };
}
