import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from '../../shared/platform/logger';
import { sampled } from '../../shared/observability/experiment-stats';
import {
  evaluationOf,
  PlanDefinition,
  TenantOverrides,
  type EvaluationPolicy,
} from '../../shared/tenancy/plans';
import type { TenantStore } from '../../shared/tenancy/store';

/**
 * Starts sampled evaluations (docs/evaluation.md): called when a live job has recorded an answer
 * from a model, it reads the tenant's evaluation setting (its override, else its plan's; cached
 * for a second), samples the job by a hash of its id against the rate (every replica and a
 * retried activity decide the same), and starts `runEvaluation` on the background queue at the
 * lowest priority with the workflow id `evaluation-<jobId>`: a retried record starts nothing
 * twice. Best effort: an evaluation that cannot start never touches the live job.
 */

/** How long a tenant's evaluation setting is reused. */
export const EVALUATION_POLICY_TTL_MS = 1_000;
/** Temporal's lowest priority (1 is the highest, 5 the lowest), as shadows. */
const EVALUATION_PRIORITY = 5;
/** The sampling hash's salt: independent of every experiment's. */
const SAMPLE_SALT = 'evaluation';
/** Conversations are not evaluated (their input is a thread, not a source). */
const NOT_EVALUATED = new Set(['chat']);

export interface EvaluationTriggerDeps {
  store: TenantStore;
  client: Client;
  /** The background task queue (shared/platform/task-queues.ts). */
  taskQueue: string;
  logger: Logger;
  now: () => number;
}

export class EvaluationTrigger {
  private readonly cache = new Map<string, { at: number; policy?: EvaluationPolicy }>();

  constructor(private readonly deps: EvaluationTriggerDeps) {}

  /** Starts the job's evaluation when its tenant samples it; true when sampled. Never throws. */
  async offer(job: { jobId: string; tenantId: string; task: string }): Promise<boolean> {
    if (NOT_EVALUATED.has(job.task)) return false;
    let policy: EvaluationPolicy | undefined;
    try {
      policy = await this.policyOf(job.tenantId);
    } catch (err) {
      this.deps.logger.warn({ err, jobId: job.jobId }, 'evaluation setting not read');
      return false;
    }
    if (!policy || !sampled(SAMPLE_SALT, job.jobId, policy.sampleRate)) return false;
    try {
      await this.deps.client.workflow.start('runEvaluation', {
        workflowId: `evaluation-${job.jobId}`,
        taskQueue: this.deps.taskQueue,
        args: [
          {
            jobId: job.jobId,
            minScore: policy.minScore,
            ...(policy.route ? { route: policy.route } : {}),
          },
        ],
        priority: { priorityKey: EVALUATION_PRIORITY, fairnessKey: job.tenantId },
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError))
        this.deps.logger.warn({ err, jobId: job.jobId }, 'evaluation not started');
    }
    return true;
  }

  private async policyOf(tenantId: string): Promise<EvaluationPolicy | undefined> {
    const now = this.deps.now();
    const hit = this.cache.get(tenantId);
    if (hit && now - hit.at < EVALUATION_POLICY_TTL_MS) return hit.policy;
    const tenant = await this.deps.store.getTenant(tenantId);
    let policy: EvaluationPolicy | undefined;
    if (tenant) {
      const plan = PlanDefinition.safeParse(
        (await this.deps.store.getPlan(tenant.planId))?.definition,
      );
      const overrides = TenantOverrides.safeParse(tenant.overrides);
      policy = evaluationOf(
        plan.success ? plan.data : undefined,
        overrides.success ? overrides.data : {},
      );
    }
    this.cache.set(tenantId, { at: now, policy });
    return policy;
  }
}
