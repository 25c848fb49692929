/**
 * Keel as a Temporal Nexus service (docs/nexus.md): one operation per task of `/v1/tasks/{task}`.
 * A workflow in another namespace imports this definition and calls
 * `createNexusServiceClient({ endpoint, service: keelNexusService })`. Each operation runs the
 * task as a Keel job, like `POST /v1/tasks/{task}`, for the tenant the endpoint is configured for
 * (KEEL_NEXUS_ENDPOINTS): the caller sends no API key. Workflow-safe: `nexus-rpc` and types only.
 */
import type { Priority } from '@temporalio/common';
import * as nexus from 'nexus-rpc';
import type { z } from 'zod';
import type { AnswerInput, AnswerOutput } from '../tasks/answer';
import type { ClassifyTicketInput, ClassifyTicketOutput } from '../tasks/classify-ticket';
import type { ExtractInvoiceInput, ExtractInvoiceOutput } from '../tasks/extract-invoice';
import type { SuggestDiscountInput, SuggestDiscountOutput } from '../tasks/suggest-discount';
import type { SummarizeInput, SummarizeOutput } from '../tasks/summarize';
import type { ResultMeta, RunTaskRequest, TaskOptions } from './job';

/** The service's name on the wire. */
export const KEEL_NEXUS_SERVICE = 'keel';

/**
 * The options a Nexus caller may set: those the job itself reads. The HTTP API's own
 * (`maxSyncMs`, `cacheTtlMs`, `singleFlight`, `debounce`) mean nothing here: the caller waits
 * durably, and every operation is a job of its own.
 */
export type NexusTaskOptions = Pick<TaskOptions, 'route' | 'review' | 'allowDegraded'>;

/** An operation's input: the task's input (as `POST /v1/tasks/{task}` takes it) and options. */
export interface NexusTaskInput<I> {
  input: I;
  options?: NexusTaskOptions;
}

/** An operation's result: the job's id (`GET /v1/jobs/{id}` reads it), its validated output, its meta. */
export interface NexusTaskResult<O> {
  jobId: string;
  output: O;
  meta: ResultMeta;
}

/** An operation of a task whose input and output schemas are `I` and `O`. */
const taskOperation = <I extends z.ZodType, O extends z.ZodType>() =>
  nexus.operation<NexusTaskInput<z.input<I>>, NexusTaskResult<z.output<O>>>();

/** Operation name → the task it runs (`/v1/tasks/{task}`). */
export const NEXUS_OPERATION_TASKS = {
  summarize: 'summarize',
  classifyTicket: 'classify-ticket',
  extractInvoice: 'extract-invoice',
  answer: 'answer',
  suggestDiscount: 'suggest-discount',
} as const;
export type NexusOperationName = keyof typeof NEXUS_OPERATION_TASKS;

export const keelNexusService = nexus.service(KEEL_NEXUS_SERVICE, {
  summarize: taskOperation<typeof SummarizeInput, typeof SummarizeOutput>(),
  classifyTicket: taskOperation<typeof ClassifyTicketInput, typeof ClassifyTicketOutput>(),
  extractInvoice: taskOperation<typeof ExtractInvoiceInput, typeof ExtractInvoiceOutput>(),
  answer: taskOperation<typeof AnswerInput, typeof AnswerOutput>(),
  suggestDiscount: taskOperation<typeof SuggestDiscountInput, typeof SuggestDiscountOutput>(),
});

/** The failure a Nexus caller gets for a task that ended in a problem (its `type` is the slug). */
export interface NexusProblemDetails {
  /** The problem's `type`, as the HTTP API answers it: `https://keel.dev/problems/<slug>`. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The job that failed; absent when the operation was refused before a job started. */
  jobId?: string;
  /** The first offending fields, or the limit or budget that refused it, as the problem has them. */
  errors?: Array<{ field: string; message: string }>;
}

/** What Keel's Nexus handler starts `runNexusTask` (Keel's own workflow) with. */
/**
 * The workflow id of the Nexus operation that runs job `jobId` (`runNexusTask`). Its payloads are
 * under the deployment key, never a tenant's: its result is delivered into the caller's namespace,
 * whose workers decode with the deployment keys shared with them (docs/nexus.md), not with a
 * tenant data key they cannot have. The job it starts is the tenant's.
 */
export const NEXUS_RUNNER_PREFIX = 'nexus-';
export const nexusRunnerId = (jobId: string): string => `${NEXUS_RUNNER_PREFIX}${jobId}`;

export interface NexusTaskRequest {
  /** The Keel job's id: the task's own workflow runs under it, as for `POST /v1/tasks/{task}`. */
  jobId: string;
  /** `runTask`, or `runLongTask` for a text past the task's single-call limit. */
  workflowType: 'runTask' | 'runLongTask';
  request: RunTaskRequest;
  priority: Priority;
  /**
   * Refused at the door (the tenant's plan, its budget, a suspended tenant): no job starts and
   * the operation fails with this problem, shaped as a failed job's.
   */
  refusal?: { slug: string; problem: NexusProblemDetails };
}

/** `runNexusTask`'s signature, for starting it by name. */
export type RunNexusTask = (args: NexusTaskRequest) => Promise<NexusTaskResult<unknown>>;
