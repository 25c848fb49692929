import type { ResultMeta } from '../../shared/contracts/job';
import type { NewAuditRecord } from '../../shared/tenancy/store';

/** Who writes a job's end into the audit trail: Keel's worker, on the caller's behalf. */
export const WORKER_ACTOR = 'system:worker';

/**
 * A completed job's audit record: the admission (which key), the data policy's verdict, the route
 * (provider, model, path, attempts), each validation layer's verdict and the answers rejected,
 * what moderation found and did (types and counts), a review decision, the cost. Never a value:
 * no input, output, issue message or reason text, which may quote the answer.
 */
export function jobCompletedAudit(args: {
  jobId: string;
  tenantId: string;
  task: string;
  keyId?: string | null;
  meta: Omit<ResultMeta, 'latencyMs'>;
}): NewAuditRecord {
  const { meta } = args;
  const v = meta.validation;
  const m = meta.moderation;
  return {
    key: `job.end:${args.jobId}`,
    tenantId: args.tenantId,
    actor: WORKER_ACTOR,
    action: 'job.completed',
    jobId: args.jobId,
    detail: {
      task: args.task,
      admittedBy: args.keyId ?? null,
      provider: meta.provider,
      model: meta.model,
      promptVersion: meta.promptVersion,
      path: meta.path,
      attempts: meta.attempts,
      reasons: meta.reasons.length,
      validation: {
        schema: v.schema.status,
        rules: v.rules.status,
        grounding: v.grounding.status,
        moderation: v.moderation.status,
        rejected: v.rejected.map((r) => ({
          candidate: r.candidate,
          layer: r.layer,
          action: r.action,
          rules: [...new Set(r.issues.flatMap((i) => (i.rule ? [i.rule] : [])))],
        })),
      },
      moderation: {
        input: {
          pii: { found: m.input.pii.found, action: m.input.pii.action },
          injection: m.input.injection.action,
          toxicity: m.input.toxicity.action,
        },
        ...(m.output
          ? {
              output: {
                pii: { found: m.output.pii.found, action: m.output.pii.action },
                toxicity: m.output.toxicity.action,
                restored: m.output.restored,
              },
            }
          : {}),
      },
      ...(meta.review
        ? { review: { decision: meta.review.decision, group: meta.review.group } }
        : {}),
      ...(meta.policy
        ? {
            policy: {
              dataClass: meta.policy.dataClass,
              detected: meta.policy.detected,
              skipped: meta.policy.skipped,
            },
          }
        : {}),
      costUsd: meta.costUsd,
    },
  };
}

/** A failed or cancelled job's audit record: the failure's type, nothing of its message. */
export function jobEndedAudit(args: {
  jobId: string;
  tenantId: string;
  task: string;
  status: 'failed' | 'cancelled';
  problem?: string;
}): NewAuditRecord {
  return {
    key: `job.end:${args.jobId}`,
    tenantId: args.tenantId,
    actor: WORKER_ACTOR,
    action: args.status === 'failed' ? 'job.failed' : 'job.cancelled',
    jobId: args.jobId,
    detail: { task: args.task, ...(args.problem ? { problem: args.problem } : {}) },
  };
}
