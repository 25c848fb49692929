import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from '../../shared/platform/logger';
import { sampled } from '../../shared/observability/experiment-stats';
import type { Experiment, TenantStore } from '../../shared/tenancy/store';

/**
 * Starts shadow tests (docs/experiments.md): called when a live job has recorded its answer, it
 * finds the running experiments of the job's task and tenant (cached for a second), samples the
 * job by a hash of the ids, and starts `runShadow` on the background queue at the lowest priority
 * with the workflow id `shadow-<experimentId>-<jobId>`: a retried record starts nothing twice.
 * Best effort: a shadow that cannot start never touches the live job.
 */

/** How long the running experiments of a task and tenant are reused. */
export const EXPERIMENTS_TTL_MS = 1_000;
/** Temporal's lowest priority (1 is the highest, 5 the lowest). */
const SHADOW_PRIORITY = 5;

export interface ShadowTriggerDeps {
  store: TenantStore;
  client: Client;
  /** The background task queue (shared/platform/task-queues.ts). */
  taskQueue: string;
  logger: Logger;
  now: () => number;
}

export class ShadowTrigger {
  private readonly cache = new Map<string, { at: number; experiments: Experiment[] }>();

  constructor(private readonly deps: ShadowTriggerDeps) {}

  /** The job's shadows, started; the ids of the experiments that sampled it. Never throws. */
  async offer(job: { jobId: string; tenantId: string; task: string }): Promise<string[]> {
    let experiments: Experiment[];
    try {
      experiments = await this.running(job.task, job.tenantId);
    } catch (err) {
      this.deps.logger.warn({ err, jobId: job.jobId }, 'experiments not read');
      return [];
    }
    const picked = experiments.filter((e) => sampled(e.id, job.jobId, e.sampleRate));
    for (const e of picked) {
      try {
        await this.deps.client.workflow.start('runShadow', {
          workflowId: `shadow-${e.id}-${job.jobId}`,
          taskQueue: this.deps.taskQueue,
          args: [{ experimentId: e.id, jobId: job.jobId }],
          priority: { priorityKey: SHADOW_PRIORITY, fairnessKey: job.tenantId },
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) continue;
        this.deps.logger.warn({ err, experiment: e.id, jobId: job.jobId }, 'shadow not started');
      }
    }
    return picked.map((e) => e.id);
  }

  private async running(task: string, tenantId: string): Promise<Experiment[]> {
    const key = `${task}\n${tenantId}`;
    const now = this.deps.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < EXPERIMENTS_TTL_MS) return hit.experiments;
    const experiments = await this.deps.store.experiments.runningFor(task, tenantId);
    this.cache.set(key, { at: now, experiments });
    return experiments;
  }
}
