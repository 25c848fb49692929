/**
 * The long-document workflow's pure parts (workflows/run-long-task.ts): a child's request, a
 * child's failure as the parent's, the job's meta summed over its children.
 */
import { ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';
import type { ResultMeta, ResultPath, RunTaskRequest } from '../../shared/contracts/job';
import type { RouteReason } from '../../shared/contracts/route-reasons';

/** A child's request: the parent's, with one text, its own request id, no slot of its own. */
export function childRequest(
  request: RunTaskRequest,
  input: Record<string, unknown>,
  part: string,
): RunTaskRequest {
  const { holdsSlot: _slot, ...tenancy } = request.tenancy ?? {};
  return {
    task: request.task,
    tenantId: request.tenantId,
    requestId: `${request.requestId}/${part}`,
    input,
    options: request.options,
    ...(request.tenancy ? { tenancy: tenancy as NonNullable<RunTaskRequest['tenancy']> } : {}),
  };
}

/** A child's failure as the parent's own: the caller gets the problem the child answered. */
export function unwrapChildFailure(err: unknown): never {
  if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) {
    throw err.cause;
  }
  throw err;
}

/**
 * Every child's reason lines, each once, with their codes beside them while every child has codes
 * (a child recorded before they existed leaves the parent without them).
 */
function reasonsOf(metas: ResultMeta[]): Pick<ResultMeta, 'reasons' | 'reasonCodes'> {
  const lines = new Map<string, RouteReason | null | undefined>();
  let coded = true;
  for (const m of metas) {
    const codes = m.reasonCodes?.length === m.reasons.length ? m.reasonCodes : undefined;
    if (!codes) coded = false;
    m.reasons.forEach((line, i) => {
      if (!lines.has(line)) lines.set(line, codes?.[i]);
    });
  }
  const reasons = [...lines.keys()];
  return coded ? { reasons, reasonCodes: [...lines.values()].map((c) => c ?? null) } : { reasons };
}

const PATH_RANK: Record<ResultPath, number> = {
  primary: 0,
  cache: 1,
  fallback: 2,
  review: 3,
  degraded: 4,
};

/**
 * The reduce job's meta, with costs, tokens, attempts, provider time and interrupted calls summed
 * over every child.
 */
export function sumMeta(
  reduced: ResultMeta,
  metas: ResultMeta[],
  long: NonNullable<ResultMeta['longDocument']> & { latencyMs: number },
  grounding = 'checked against the whole source',
): ResultMeta {
  const sum = (f: (m: ResultMeta) => number): number => metas.reduce((t, m) => t + f(m), 0);
  const worst = metas.reduce<ResultPath>(
    (w, m) => (PATH_RANK[m.path] > PATH_RANK[w] ? m.path : w),
    'primary',
  );
  const { latencyMs, ...longDocument } = long;
  const interrupted = metas.flatMap((m) => (m.interrupted ? [m.interrupted] : []));
  const { interrupted: _reduced, reasonCodes: _codes, ...base } = reduced;
  return {
    ...base,
    ...(interrupted.length > 0
      ? {
          interrupted: {
            calls: interrupted.reduce((t, i) => t + i.calls, 0),
            costUsd: interrupted.reduce((t, i) => t + i.costUsd, 0),
          },
        }
      : {}),
    // The least trusted path any part took: a degraded chunk makes a degraded summary.
    path: worst,
    ...reasonsOf(metas),
    attempts: sum((m) => m.attempts),
    providerMs: sum((m) => m.providerMs),
    latencyMs,
    tokens: {
      input: sum((m) => m.tokens.input),
      output: sum((m) => m.tokens.output),
      cachedInput: sum((m) => m.tokens.cachedInput),
      estimatedInput: sum((m) => m.tokens.estimatedInput),
    },
    costUsd: Math.round(sum((m) => m.costUsd) * 1e9) / 1e9,
    validation: {
      ...reduced.validation,
      grounding: { status: 'passed', detail: grounding },
    },
    longDocument,
  };
}
