import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { ModelUsage } from '../activities/models/providers/model-provider';
import { routeReasonOfFailure, type RouteReason } from '../shared/contracts/route-reasons';

/** What callModel leaves in a failure's details (see activities/models/providers/classify-error.ts). */
interface CallDetails {
  attempt?: number;
  billedUsage?: ModelUsage;
  billedCostUsd?: number;
  providerMs?: number;
  interruptedCalls?: number;
  interruptedCostUsd?: number;
}

/**
 * What failed: a regular activity's failure wraps it in an ActivityFailure; a local activity's
 * reaches the workflow as the failure itself.
 */
export function failureCause(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}

function callDetails(err: unknown): CallDetails | undefined {
  const cause = failureCause(err);
  return cause instanceof ApplicationFailure
    ? (cause.details?.[0] as CallDetails | undefined)
    : undefined;
}

/** One line naming a failure, without its payload (messages may echo upstream text). */
export function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure ? (err.cause ?? err) : err;
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? 'Error';
    return cause.message.startsWith(type) ? cause.message : `${type}: ${cause.message}`;
  }
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** A failed call's route reason, decided from its failure type (or the SDK error's name). */
export function routeReasonOfError(err: unknown): RouteReason {
  const cause = err instanceof ActivityFailure ? (err.cause ?? err) : err;
  if (cause instanceof ApplicationFailure) return routeReasonOfFailure(cause.type ?? undefined);
  return routeReasonOfFailure(cause instanceof Error ? cause.name : undefined);
}

/** Calls a failed candidate made (callModel records its last attempt number). */
export function attemptsOf(err: unknown): number {
  const attempt = callDetails(err)?.attempt;
  return typeof attempt === 'number' && attempt > 0 ? attempt : 1;
}

/** How long the failed call's last attempt waited on the provider. */
export function providerMsOf(err: unknown): number {
  const ms = callDetails(err)?.providerMs;
  return typeof ms === 'number' && ms > 0 ? ms : 0;
}

/** Usage a failed call was still billed for, and its cost. */
export function billedUsageOf(err: unknown): { usage: ModelUsage; costUsd: number } | undefined {
  const d = callDetails(err);
  return d?.billedUsage ? { usage: d.billedUsage, costUsd: d.billedCostUsd ?? 0 } : undefined;
}

/** Earlier attempts cut off mid-call that the failed call charged (their worst case). */
export function interruptedOf(err: unknown): { calls: number; costUsd: number } | undefined {
  const d = callDetails(err);
  return d?.interruptedCalls
    ? { calls: d.interruptedCalls, costUsd: d.interruptedCostUsd ?? 0 }
    : undefined;
}
