import { createHash } from 'node:crypto';
import type { Priority } from '@temporalio/common';
import type { RunTaskRequest } from '../contracts/job';

/** Keel's plan priorities run from 1 (lowest) to 5 (highest); Temporal's keys the other way. */
const KEEL_PRIORITY_MAX = 5;

/** Temporal's fairness keys are at most 64 bytes. */
const FAIRNESS_KEY_MAX_BYTES = 64;

/**
 * The task-queue priority of a task's workflow; its activities inherit it (the server merges the
 * workflow's priority into every activity it schedules). `priorityKey`: Temporal's 1 is the
 * highest, so plan priority 5 becomes 1 and plan priority 1 becomes 5 (no plan: Temporal's default,
 * 3). `fairnessKey`: the tenant, so that within one priority the tasks waiting on a queue are
 * dispatched tenant by tenant in turn rather than first come first served (docs/fairness.md).
 */
export function taskPriority(request: Pick<RunTaskRequest, 'tenantId' | 'tenancy'>): Priority {
  const planPriority = request.tenancy?.priority;
  return {
    ...(planPriority !== undefined
      ? { priorityKey: KEEL_PRIORITY_MAX + 1 - clampPriority(planPriority) }
      : {}),
    fairnessKey: fairnessKey(request.tenantId),
  };
}

function clampPriority(priority: number): number {
  return Math.min(KEEL_PRIORITY_MAX, Math.max(1, Math.round(priority)));
}

/** The tenant id, or its SHA-256 (64 hex characters) when the id is longer than a key may be. */
export function fairnessKey(tenantId: string): string {
  if (Buffer.byteLength(tenantId) <= FAIRNESS_KEY_MAX_BYTES) return tenantId;
  return createHash('sha256').update(tenantId).digest('hex');
}
