import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  condition,
  executeChild,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../shared/contracts/errors';
import type { JobState, ResultMeta, RunTaskRequest, RunTaskResult } from '../shared/contracts/job';
import { SearchAttr, getJobStateQuery } from '../shared/contracts/messages';
import { joinPartials, longDocumentLimits } from '../shared/policy/long-document-limits';
import { answerLong } from './long-task/answer';
import { childRequest, sumMeta, unwrapChildFailure } from './long-task/meta';
import {
  checkLongGrounding,
  chunkLongDocument,
  recordLongResult,
  type Child,
  type ChildResult,
  type LongOutcome,
} from './long-task/steps';
import { closeTenancy, publishJobEnd } from './pipeline/proxies';
import type { runTask } from './run-task';

/** What a summarising child answers. */
type SummaryOutput = { summary: string; keyPoints: string[] };

/**
 * A text past its task's single-call limit (`shared/policy/long-document-limits.ts`): split into chunks
 * (an activity), each chunk summarised by a child `runTask` (the whole pipeline: screening,
 * validation and grounding against its chunk, fallbacks, budgets per call), a bounded number at
 * once; the partial summaries joined and, while still too long for one call, split and summarised
 * again; then one more child `runTask` reduces them, and its answer is checked against the whole
 * source (an activity). The job reads like any other: `{output, meta, steps}`, with the children
 * in `meta.longDocument`. Cancelling it cancels its running children. `answer` runs its own
 * rounds over document pieces (workflows/long-task/answer.ts) with the same children and ending.
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

  /** One child `runTask` over `childInput`, under a job id of its own (`<task>-<uuid>`). */
  const runChild = async (
    childInput: Record<string, unknown>,
    step: Child['step'],
  ): Promise<ChildResult> => {
    const childId = `${request.task}-${uuid4()}`;
    // In the order started: the maps in document order, the reduce last.
    const child: Child = { jobId: childId, step, path: 'primary', costUsd: 0 };
    children.push(child);
    const result = await executeChild<typeof runTask>('runTask', {
      workflowId: childId,
      args: [childRequest(request, childInput, `${children.length - 1}`)],
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
    return { output: result.output, meta: result.meta, jobId: childId };
  };

  /** Each input answered by a child, at most `limits.concurrency` at once, in order. */
  const map = async (inputs: Array<Record<string, unknown>>): Promise<ChildResult[]> => {
    let running = 0;
    let failed = false;
    const started: Array<Promise<ChildResult>> = [];
    for (const childInput of inputs) {
      await condition(() => failed || running < limits.concurrency);
      // One chunk failed the job: start no more.
      if (failed) break;
      running += 1;
      const partial = runChild(childInput, 'map')
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

  /** Chunk → map (rounds) → reduce → ground: the summarize path, as recorded histories hold it. */
  const summarizeLong = async (): Promise<LongOutcome> => {
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
      const partials = await map(texts.map((text) => ({ ...input, text })));
      state.steps.push({
        name: 'map',
        outcome: 'ok',
        detail: `round ${rounds}: ${partials.length} child jobs`,
      });
      joined = joinPartials(partials.map((p) => p.output as SummaryOutput));
      if (joined.length <= limits.singleCallChars) break;
      texts = await slices(joined);
    }
    const reduced = await runChild({ ...input, text: joined }, 'reduce');
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
    return { output: reduced.output, base: reduced.meta, chunks: chunks.length, rounds };
  };

  try {
    const done =
      request.task === 'answer'
        ? // New with long answers: no history predates this branch, so it needs no patch
          // (test/fixtures/histories/run-long-answer.json replays it since).
          await answerLong({ request, input, state, runChild, map })
        : await summarizeLong();
    const meta = sumMeta(
      done.base,
      metas,
      {
        chunks: done.chunks,
        mapCalls: children.filter((c) => c.step === 'map').length,
        rounds: done.rounds,
        ...(done.abstained !== undefined ? { abstained: done.abstained } : {}),
        children,
        latencyMs: Date.now() - startedAt,
      },
      done.grounding,
    );
    await recordLongResult({ jobId, tenantId: request.tenantId, task: request.task, meta });
    state.steps.push({ name: 'record', outcome: 'ok' });
    state.status = 'completed';
    state.output = done.output;
    state.meta = meta;
    upsertSearchAttributes([
      { key: SearchAttr.status, value: 'completed' },
      { key: SearchAttr.path, value: meta.path },
    ]);
    return { output: done.output, meta, steps: state.steps };
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
