import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  condition,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureType } from '../shared/contracts/errors';
import type {
  JobState,
  ResultMeta,
  ResultPath,
  RunTaskRequest,
  RunTaskResult,
} from '../shared/contracts/job';
import { SearchAttr, getJobStateQuery } from '../shared/contracts/messages';
import { joinPartials, longDocumentLimits } from '../shared/policy/long-document-limits';
import { closeTenancy, publishJobEnd } from './pipeline/proxies';
import type { runTask } from './run-task';

/** Splitting and checking a text of up to 2M characters: CPU only, seconds at most. */
const { chunkLongDocument, checkLongGrounding, recordLongResult } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.UnknownTask] },
});

/** What a summarising child answers. */
type SummaryOutput = { summary: string; keyPoints: string[] };
type PartialSummary = { output: SummaryOutput; meta: ResultMeta; jobId: string };
type Child = NonNullable<ResultMeta['longDocument']>['children'][number];

/**
 * A text past its task's single-call limit (`shared/policy/long-document-limits.ts`): split into chunks
 * (an activity), each chunk summarised by a child `runTask` (the whole pipeline: screening,
 * validation and grounding against its chunk, fallbacks, budgets per call), a bounded number at
 * once; the partial summaries joined and, while still too long for one call, split and summarised
 * again; then one more child `runTask` reduces them, and its answer is checked against the whole
 * source (an activity). The job reads like any other: `{output, meta, steps}`, with the children
 * in `meta.longDocument`. Cancelling it cancels its running children.
 */
export async function runLongTask(request: RunTaskRequest): Promise<RunTaskResult> {
  const limits = longDocumentLimits(request.task);
  if (!limits) {
    throw ApplicationFailure.nonRetryable(
      `task "${request.task}" takes no long documents`,
      FailureType.InvalidInput,
    );
  }
  const state: JobState = { status: 'running', steps: [] };
  setHandler(getJobStateQuery, () => state);
  const jobId = workflowInfo().workflowId;
  const startedAt = Date.now();
  const input = request.input as { text: string } & Record<string, unknown>;
  const children: Child[] = [];
  const metas: ResultMeta[] = [];

  /** One child `runTask` over `text`, under a job id of its own (`<task>-<uuid>`). */
  const summarise = async (text: string, step: Child['step']): Promise<PartialSummary> => {
    const childId = `${request.task}-${uuid4()}`;
    // In the order started: the maps in document order, the reduce last.
    const child: Child = { jobId: childId, step, path: 'primary', costUsd: 0 };
    children.push(child);
    const result = await executeChild<typeof runTask>('runTask', {
      workflowId: childId,
      args: [childRequest(request, { ...input, text }, `${children.length - 1}`)],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [
        { key: SearchAttr.tenant, value: request.tenantId },
        { key: SearchAttr.task, value: request.task },
        { key: SearchAttr.status, value: 'running' },
      ],
    }).catch(unwrapChildFailure);
    child.path = result.meta.path;
    child.costUsd = result.meta.costUsd;
    metas.push(result.meta);
    return { output: result.output as SummaryOutput, meta: result.meta, jobId: childId };
  };

  /** Each text summarised by a child, at most `limits.concurrency` at once, in order. */
  const map = async (texts: string[]): Promise<PartialSummary[]> => {
    let running = 0;
    let failed = false;
    const started: Array<Promise<PartialSummary>> = [];
    for (const text of texts) {
      await condition(() => failed || running < limits.concurrency);
      // One chunk failed the job: start no more.
      if (failed) break;
      running += 1;
      const partial = summarise(text, 'map')
        .catch((err: unknown) => {
          failed = true;
          throw err;
        })
        .finally(() => (running -= 1));
      // A failure is Promise.all's to report, not an unhandled rejection meanwhile.
      partial.catch(() => undefined);
      started.push(partial);
    }
    return Promise.all(started);
  };

  try {
    const slices = async (text: string): Promise<string[]> =>
      (await chunkLongDocument({ task: request.task, text })).chunks.map((c) =>
        text.slice(c.start, c.end),
      );
    const chunks = await slices(input.text);
    state.steps.push({ name: 'chunk', outcome: 'ok', detail: `${chunks.length} chunks` });
    let texts = chunks;
    let rounds = 0;
    let joined: string;
    for (;;) {
      rounds += 1;
      const partials = await map(texts);
      state.steps.push({
        name: 'map',
        outcome: 'ok',
        detail: `round ${rounds}: ${partials.length} child jobs`,
      });
      joined = joinPartials(partials.map((p) => p.output));
      if (joined.length <= limits.singleCallChars) break;
      texts = await slices(joined);
    }
    const reduced = await summarise(joined, 'reduce');
    state.steps.push({ name: 'reduce', outcome: 'ok', detail: reduced.jobId });

    const { issues } = await checkLongGrounding({
      task: request.task,
      input,
      output: reduced.output,
    });
    state.steps.push({
      name: 'ground',
      outcome: issues.length === 0 ? 'ok' : 'failed',
      detail: `${issues.length} claims not in the source`,
    });
    if (issues.length > 0) {
      throw ApplicationFailure.nonRetryable(
        'The reduced summary states claims the source does not hold',
        FailureType.OutputRejected,
        issues,
      );
    }
    const meta = sumMeta(reduced.meta, metas, {
      chunks: chunks.length,
      mapCalls: children.filter((c) => c.step === 'map').length,
      rounds,
      children,
      latencyMs: Date.now() - startedAt,
    });
    await recordLongResult({ jobId, tenantId: request.tenantId, task: request.task, meta });
    state.steps.push({ name: 'record', outcome: 'ok' });
    state.status = 'completed';
    state.output = reduced.output;
    state.meta = meta;
    upsertSearchAttributes([
      { key: SearchAttr.status, value: 'completed' },
      { key: SearchAttr.path, value: meta.path },
    ]);
    return { output: reduced.output, meta, steps: state.steps };
  } catch (err) {
    const cancelled = isCancellation(err);
    state.status = cancelled ? 'cancelled' : 'failed';
    await CancellationScope.nonCancellable(() =>
      publishJobEnd({
        jobId,
        tenantId: request.tenantId,
        task: request.task,
        status: cancelled ? 'cancelled' : 'failed',
        ...(err instanceof ApplicationFailure && err.type ? { failureType: err.type } : {}),
      }).catch(() => undefined),
    );
    if (!cancelled) {
      upsertSearchAttributes([{ key: SearchAttr.status, value: 'failed' }]);
    }
    throw err;
  } finally {
    // The API admitted this job (and took a tenant's concurrency slot for it, if its plan has one);
    // the children run under that admission and hold no slot of their own.
    if (request.tenancy?.holdsSlot) {
      await CancellationScope.nonCancellable(() => closeTenancy({ jobId }).catch(() => undefined));
    }
  }
}

/** A child's request: the parent's, with one text, its own request id, no slot of its own. */
function childRequest(
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
function unwrapChildFailure(err: unknown): never {
  if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) {
    throw err.cause;
  }
  throw err;
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
function sumMeta(
  reduced: ResultMeta,
  metas: ResultMeta[],
  long: NonNullable<ResultMeta['longDocument']> & { latencyMs: number },
): ResultMeta {
  const sum = (f: (m: ResultMeta) => number): number => metas.reduce((t, m) => t + f(m), 0);
  const worst = metas.reduce<ResultPath>(
    (w, m) => (PATH_RANK[m.path] > PATH_RANK[w] ? m.path : w),
    'primary',
  );
  const { latencyMs, ...longDocument } = long;
  const interrupted = metas.flatMap((m) => (m.interrupted ? [m.interrupted] : []));
  const { interrupted: _reduced, ...base } = reduced;
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
    reasons: [...new Set(metas.flatMap((m) => m.reasons))],
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
      grounding: { status: 'passed', detail: 'checked against the whole source' },
    },
    longDocument,
  };
}
