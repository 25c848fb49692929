import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { RunBatchArgs } from '../shared/contracts/batch';
import type {
  BatchAcceptedBody,
  BatchBody,
  BatchCancelBody,
  BatchResultLine,
} from '../shared/contracts/batch-http';
import type { RunTaskResult } from '../shared/contracts/job';
import { SearchAttr } from '../shared/contracts/messages';
import { PROBLEM_BASE, PROBLEMS, problemSlugForFailure } from '../shared/contracts/problems';
import type { KeelConfig } from '../shared/platform/config';
import { findServedTask } from '../shared/tasks';
import type { Tenancy } from '../shared/tenancy/open';
import type { BatchRecord } from '../shared/tenancy/store/batches';
import { parseJsonBody, parseQuery, readJsonl } from './batch-request';
import { BatchSubmission } from './batch-submission';
import { idempotentJobId, readIdempotencyKey } from './idempotency';
import { invalidRequest, ProblemError, type Problem } from './problem';
import { taskPriority } from '../shared/platform/task-priority';
import { TenancyGate } from './tenancy-gate';
import type { Tenant } from '../shared/tenancy/directory';
import { CONFIG, TEMPORAL_CLIENT, TENANCY } from './tokens';
import type { runBatch } from '../workflows';

/** Items per page of `GET /v1/batches/{id}/results`, and outputs read from Temporal at once. */
const RESULTS_PAGE = 200;
const OUTPUT_READS = 16;

/** What `POST /v1/batches` was sent: a JSON body, or a JSONL upload with its query. */
export type BatchSource =
  | { kind: 'json'; body: unknown }
  | { kind: 'jsonl'; query: Record<string, unknown>; stream: AsyncIterable<Buffer | string> };

/**
 * Batches: `POST /v1/batches` stores the items (checked one by one) and starts the parent
 * workflow `runBatch` with the batch id only; reads come from the tenant store (counts, outcomes)
 * and, for completed items' outputs, from their jobs.
 */
@Injectable()
export class BatchesService {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(TENANCY) private readonly tenancy: Tenancy,
    @Inject(TenancyGate) private readonly gate: TenancyGate,
  ) {}

  private get store() {
    return this.tenancy.store.batches;
  }

  async submit(args: {
    tenant: Tenant;
    requestId: string;
    idempotencyKey?: string;
    source: BatchSource;
  }): Promise<BatchAcceptedBody> {
    const key = readIdempotencyKey(args.idempotencyKey);
    const { source, tenant } = args;
    const asked = source.kind === 'json' ? parseJsonBody(source.body) : parseQuery(source.query);
    const task = findServedTask(asked.task);
    if (!task) {
      throw invalidRequest(`There is no task "${asked.task}".`, [
        { field: 'task', message: 'no task has this name' },
      ]);
    }
    // The plan must include the task, and a plan that refuses past its budget must have some.
    const terms = await this.gate.batchTerms({ tenant, task, now: Date.now() });
    const batchId = key
      ? idempotentJobId(tenant.id, 'batch', key).replace(/^batch-/, 'batch_')
      : `batch_${randomUUID()}`;
    const existing = key ? await this.store.get(batchId) : undefined;
    const submission = new BatchSubmission({
      batchId,
      task,
      options: asked.options,
      store: this.store,
      write: !existing,
      label: (i, field) =>
        source.kind === 'json' ? `items[${i}].${field}` : `line ${i + 1}: ${field}`,
    });
    try {
      if (source.kind === 'json') {
        for (const item of asked.items ?? []) await submission.add(item);
      } else {
        await readJsonl(source.stream, submission, this.config.maxBodyBytes);
      }
      await submission.flush();
    } catch (err) {
      if (!existing) await this.store.discardItems(batchId);
      throw err;
    }
    if (existing) return this.retried(existing, submission.fingerprint);
    if (submission.total === 0 || submission.invalid === submission.total) {
      await this.store.discardItems(batchId);
      throw invalidRequest(
        submission.total === 0 ? 'The batch has no items.' : 'No item of the batch is valid.',
        submission.total === 0
          ? [{ field: 'items', message: 'at least one item' }]
          : submission.errors,
      );
    }
    const created = await this.store.create({
      id: batchId,
      tenantId: tenant.id,
      task: task.name,
      options: asked.options,
      total: submission.total,
      invalid: submission.invalid,
      fingerprint: submission.fingerprint,
      createdAt: Date.now(),
    });
    if (!created) {
      // The same key's submission won a race: this one is its retry.
      const winner = await this.store.get(batchId);
      if (winner) return this.retried(winner, submission.fingerprint);
    }
    const concurrency = Math.min(
      this.config.batches.concurrency,
      terms.maxConcurrency ?? Number.POSITIVE_INFINITY,
    );
    await this.start({
      batchId,
      tenantId: tenant.id,
      task: task.name,
      options: asked.options,
      ...(terms.tenancy ? { tenancy: terms.tenancy } : {}),
      requestId: args.requestId,
      total: submission.total,
      next: 0,
      concurrency,
      itemsPerRun: this.config.batches.itemsPerRun,
    });
    return {
      batchId,
      items: submission.total,
      invalid: submission.invalid,
      ...(submission.errors.length ? { errors: submission.errors } : {}),
      status: 'running',
    };
  }

  /** A batch with this Idempotency-Key exists: the same one if it was asked the same thing. */
  private retried(batch: BatchRecord, fingerprint: string): BatchAcceptedBody {
    if (batch.fingerprint !== fingerprint) {
      throw ProblemError.of('idempotency-key-reused', undefined, {
        batchId: batch.id,
        errors: [
          { field: 'header.idempotency-key', message: 'already used for a different batch' },
        ],
      });
    }
    return { batchId: batch.id, items: batch.total, invalid: batch.invalid, status: batch.status };
  }

  private async start(run: RunBatchArgs): Promise<void> {
    try {
      await this.client.workflow.start<typeof runBatch>('runBatch', {
        // No caller waits for a batch: it and its items run on the background queue.
        taskQueue: this.config.backgroundTaskQueue,
        workflowId: run.batchId,
        args: [run],
        // Items inherit it: the plan's priority, and tenant by tenant within it.
        priority: taskPriority(run),
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: SearchAttr.tenant, value: run.tenantId },
          { key: SearchAttr.task, value: run.task },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw ProblemError.of(
        'temporal-unavailable',
        'The batch is stored but could not be started; retry with the same Idempotency-Key.',
        { batchId: run.batchId },
        { headers: { 'retry-after': '5' }, cause: err },
      );
    }
  }

  /** The batch of this tenant; 404 otherwise. */
  async find(tenant: Tenant, batchId: string): Promise<BatchRecord> {
    const batch = /^batch_[0-9a-f-]{36}$/.test(batchId) ? await this.store.get(batchId) : undefined;
    if (!batch || batch.tenantId !== tenant.id)
      throw ProblemError.of('batch-not-found', `There is no batch "${batchId}".`);
    return batch;
  }

  async get(args: { tenant: Tenant; batchId: string }): Promise<BatchBody> {
    return this.view(await this.find(args.tenant, args.batchId));
  }

  async view(batch: BatchRecord): Promise<BatchBody> {
    const { counts, costMicros } = await this.store.counts(batch.id);
    const now = batch.finishedAt ?? Date.now();
    // Items refused at submission ended at once: the rate counts the ones that ran.
    const ran = counts.completed + counts.failed + counts.cancelled - batch.invalid;
    const seconds = Math.max(0.001, (now - batch.createdAt) / 1_000);
    const rate = ran / seconds;
    const left = counts.pending + counts.running;
    return {
      batchId: batch.id,
      task: batch.task,
      status: batch.status,
      items: batch.total,
      counts,
      costUsd: costMicros / 1e6,
      createdAt: new Date(batch.createdAt).toISOString(),
      ...(batch.finishedAt ? { finishedAt: new Date(batch.finishedAt).toISOString() } : {}),
      itemsPerSecond: Math.round(rate * 100) / 100,
      ...(batch.status === 'running' && rate > 0 ? { etaSeconds: Math.ceil(left / rate) } : {}),
    };
  }

  /** The results, item by item in order; completed items' outputs read from their jobs. */
  async *results(args: { tenant: Tenant; batchId: string }): AsyncGenerator<BatchResultLine> {
    const batch = await this.find(args.tenant, args.batchId);
    for (let after = -1; ;) {
      const page = await this.store.items(batch.id, after, RESULTS_PAGE);
      if (page.length === 0) return;
      const outputs = await mapLimit(page, OUTPUT_READS, async (item) =>
        item.status === 'completed' ? this.output(item.jobId) : undefined,
      );
      for (const [i, item] of page.entries()) {
        const read = outputs[i];
        yield {
          index: item.index,
          jobId: item.jobId,
          status: item.status,
          ...(read && 'output' in read ? { output: read.output } : {}),
          ...(read && 'problem' in read ? { problem: read.problem } : {}),
          ...(item.problem ? { problem: itemProblem(item.problem, item.jobId) } : {}),
        };
      }
      after = page.at(-1)!.index;
    }
  }

  private async output(jobId: string): Promise<{ output: unknown } | { problem: Problem }> {
    try {
      const result = (await this.client.workflow.getHandle(jobId).result()) as RunTaskResult;
      return { output: result.output };
    } catch (err) {
      // Past the namespace's retention the job (and its output) is gone.
      if (err instanceof WorkflowNotFoundError)
        return { problem: itemProblem({ slug: 'job-not-found' }, jobId) };
      throw err;
    }
  }

  /** Cancels a running batch: its running items are cancelled, the rest never start. */
  async cancel(args: { tenant: Tenant; batchId: string }): Promise<BatchCancelBody> {
    const batch = await this.find(args.tenant, args.batchId);
    if (batch.status !== 'running') {
      throw ProblemError.of('batch-ended', `The batch has ended (${batch.status}).`, {
        batchId: batch.id,
        batchStatus: batch.status,
      });
    }
    try {
      await this.client.workflow.getHandle(batch.id).cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Stored but never started (Temporal refused the start): nothing runs; close it here.
      await this.store.finish(batch.id, 'cancelled', Date.now());
    }
    return { batchId: batch.id, status: 'cancelling' };
  }
}

/** A failed item's problem as problem details (the table's status and title). */
function itemProblem(
  p: { slug: string; detail?: string; errors?: Problem['errors'] },
  jobId: string,
): Problem {
  const slug =
    p.slug in PROBLEMS ? (p.slug as keyof typeof PROBLEMS) : problemSlugForFailure(p.slug);
  const spec = PROBLEMS[slug];
  return {
    type: `${PROBLEM_BASE}${slug}`,
    title: spec.title,
    status: spec.status,
    ...((p.detail ?? spec.detail) ? { detail: p.detail ?? spec.detail } : {}),
    ...(p.errors?.length ? { errors: p.errors } : {}),
    jobId,
  };
}

/** `fn` over `items`, at most `limit` at once, results in order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
