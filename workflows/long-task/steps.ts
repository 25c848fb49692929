/**
 * What the long-document workflow's paths share (workflows/run-long-task.ts): its activities,
 * declared once, and the shapes of a child's result and of a path's outcome.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { FailureType } from '../../shared/contracts/errors';
import type { JobState, ResultMeta, RunTaskRequest } from '../../shared/contracts/job';

/** Splitting and checking a text of up to 2M characters: CPU only, seconds at most. */
export const {
  chunkLongDocument,
  checkLongGrounding,
  recordLongResult,
  packLongAnswer,
  longAnswerExcerpts,
} = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.UnknownTask] },
});

export type Child = NonNullable<ResultMeta['longDocument']>['children'][number];

/** A finished child job: its output (the task's), meta and job id. */
export interface ChildResult {
  output: unknown;
  meta: ResultMeta;
  jobId: string;
}

/** What a path hands to the common ending (meta summed over the children, record, complete). */
export interface LongOutcome {
  output: unknown;
  /** The meta the job's starts from: the reduce job's (or, with no reduce, the last map's). */
  base: ResultMeta;
  /** Chunks (for `answer`: document pieces) of the first round. */
  chunks: number;
  rounds: number;
  /** `answer`: map jobs whose partial answer abstained. */
  abstained?: number;
  /** `validation.grounding.detail` of the job. */
  grounding?: string;
}

/** The running job, as a path sees it: its request, state and child runners. */
export interface LongJob {
  request: RunTaskRequest;
  input: Record<string, unknown>;
  state: JobState;
  /** One child job over `input`. */
  runChild: (input: Record<string, unknown>, step: Child['step']) => Promise<ChildResult>;
  /** One map child per input, a bounded number at once, results in order. */
  map: (inputs: Array<Record<string, unknown>>) => Promise<ChildResult[]>;
}
