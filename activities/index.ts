import type { Client } from '@temporalio/client';
import type { BlobLifecycle } from '../shared/platform/blob-store';
import {
  DEFAULT_FILE_CONFIG,
  parseFileConfig,
  type KeelFileConfig,
} from '../shared/platform/config-file';
import type { Logger } from '../shared/platform/logger';
import { recordBudgetThreshold } from '../shared/platform/metrics';
import type { ProviderHealth } from '../shared/platform/provider-health';
import type { LastGoodAnswers } from '../shared/platform/last-good';
import type { ReviewQueue } from '../shared/platform/review-queue';
import type { Limiter } from '../shared/tenancy/limits';
import type { TenantStore } from '../shared/tenancy/store';
import type { DriftMonitorSettings } from '../shared/observability/drift-detect';
import { DriftMonitor } from '../shared/observability/drift-monitor';
import { createBatchActivities } from './batch/batch-activities';
import { createEventActivities } from './events/job-events';
import { createEventPublisher, type EventSink } from './events/publish';
import { createLongDocumentActivities } from './long-document/long-document-activities';
import { createCallModelActivity } from './models/call-model';
import { createInjectionCheckActivities } from './guards/injection-verdict';
import { createVerifierActivities } from './guards/verifier-verdict';
import { createPipelineActivities } from './pipeline/pipeline-activities';
import { createReviewActivities } from './review/review-activities';
import { createLocalProvider } from './models/providers/local-provider';
import { createWebhookActivities } from './webhooks/deliver';
import type { ModelProvider } from './models/providers/model-provider';
import { createEraseActivities } from './lifecycle/erase-tenant';
import { createRetentionActivities } from './lifecycle/enforce-retention';
import { createUnownedBlobRetention } from './lifecycle/prune-unowned-blobs';
import { createDebugSampleRetention } from './lifecycle/prune-debug-samples';
import { withDebugSamples } from './models/debug-samples';
import { createShadowActivities } from './experiments/shadow-activities';
import { ShadowTrigger } from './experiments/shadow-trigger';
import { createEvaluationActivities } from './evaluation/evaluation-activities';
import { EvaluationTrigger } from './evaluation/evaluation-trigger';

export interface ActivityDeps {
  logger: Logger;
  /** Defaults to the built-in `local` provider only. */
  providers?: ModelProvider[];
  /** Models and prices. Defaults to the built-in registry. */
  registry?: KeelFileConfig;
  /** Shared circuit breakers and latency windows; without it, no breaker and fixed timeouts. */
  health?: ProviderHealth;
  /** The tenants' review queues; without it, reviews are listed through visibility only. */
  reviewQueue?: ReviewQueue;
  /** Last-good-answer lookup for degraded tasks. */
  lastGood?: LastGoodAnswers;
  /** HMAC key for KeelInputKey (KEEL_INPUT_KEY_SECRET). No default: a fixed one would be public. */
  inputKeySecret: string;
  now?: () => number;
  /** The tenant store (budgets, usage ledger); without it nothing is billed. */
  store?: TenantStore;
  /** The tenants' limits (token settlement, concurrency slots). */
  limiter?: Limiter;
  /** Told of each event written to the log (webhook deliveries). */
  eventSinks?: readonly EventSink[];
  /** KEEL_WEBHOOK_ALLOW_PRIVATE: deliveries may go to loopback and private addresses. */
  webhookAllowPrivate?: boolean;
  /** Temporal, for the activities that manage workflows themselves (erasure, retention). */
  temporal?: { client: Client; namespace: string };
  /** Drift detection's settings (KEEL_DRIFT_*); with the store, each task is observed. */
  drift?: DriftMonitorSettings;
  /** The claim check's blob store, which erasure and retention clean (docs/claim-check.md). */
  blobs?: BlobLifecycle;
  /**
   * Shadow tests (docs/experiments.md): the queue their workflows run on, the background one.
   * With the store and `temporal`, each job answered by a model is offered to the experiments
   * and to its tenant's sampled evaluation (docs/evaluation.md), which runs on the same queue.
   */
  experiments?: { taskQueue: string };
}

/** All activities, wired to their dependencies. The worker passes real ones; tests pass their own. */
export function createActivities(deps: ActivityDeps) {
  if (!deps.inputKeySecret) throw new Error('createActivities: inputKeySecret is required');
  const providers = new Map(
    (deps.providers ?? [createLocalProvider()]).map((p) => [p.slug, p] as const),
  );
  const registry = deps.registry ?? parseFileConfig(DEFAULT_FILE_CONFIG, '(built-in default)');
  const now = deps.now ?? Date.now;
  const publish = createEventPublisher({
    store: deps.store,
    sinks: deps.eventSinks,
    now,
    logger: deps.logger,
  });
  // Work started after a live answer (shadows, sampled evaluations): on the background queue.
  const afterAnswer =
    deps.store && deps.temporal && deps.experiments
      ? {
          store: deps.store,
          client: deps.temporal.client,
          taskQueue: deps.experiments.taskQueue,
          logger: deps.logger,
          now,
        }
      : undefined;
  const shadow = afterAnswer && new ShadowTrigger(afterAnswer);
  const evaluation = afterAnswer && new EvaluationTrigger(afterAnswer);
  // Drift detection: every task's observation and, as two more metrics, the evaluation rates.
  const drift =
    deps.store && deps.drift
      ? new DriftMonitor({
          store: deps.store,
          logger: deps.logger,
          settings: deps.drift,
          now,
          publish,
        })
      : undefined;
  const pipeline = createPipelineActivities({
    logger: deps.logger,
    providers: new Set(providers.keys()),
    registry,
    now,
    health: deps.health,
    lastGood: deps.lastGood,
    inputKeySecret: deps.inputKeySecret,
    store: deps.store,
    limiter: deps.limiter,
    publish,
    ...(drift ? { drift } : {}),
    // After a model's answer is recorded: shadows and the sampled evaluation (both never throw).
    ...(shadow || evaluation
      ? { answered: (job) => Promise.all([shadow?.offer(job), evaluation?.offer(job)]) }
      : {}),
  });
  const models = createCallModelActivity({
    providers,
    registry,
    now,
    ...(deps.temporal ? { temporal: deps.temporal } : {}),
    health: deps.health,
    store: deps.store,
    limiter: deps.limiter,
    // A log line and a metric for operators (labelled by plan, never by tenant), an event for
    // the tenant's webhooks. Written once per threshold and period (the event's key).
    onBudgetThreshold: async (event) => {
      deps.logger.warn(
        { event: 'budget.threshold', ...event },
        `tenant ${event.tenantId} has spent ${Math.round(event.threshold * 100)} % of its monthly budget`,
      );
      const tenant = await deps.store?.getTenant(event.tenantId).catch(() => undefined);
      recordBudgetThreshold(tenant?.planId, event.threshold);
      await publish({
        tenantId: event.tenantId,
        subject: event.tenantId,
        type: 'budget.threshold',
        key: `budget.threshold:${event.tenantId}:${event.period}:${event.threshold}`,
        data: { ...event },
      }).catch((err: unknown) =>
        deps.logger.warn({ err, tenant: event.tenantId }, 'budget threshold event not written'),
      );
    },
  });
  return {
    ...pipeline,
    ...models,
    // Debug samples (docs/debug-samples.md): the calls of a sampled job of a tenant that opted in.
    ...(deps.store
      ? {
          callModel: withDebugSamples((args) => models.callModel(args), {
            store: deps.store,
            logger: deps.logger,
            now,
          }),
        }
      : {}),
    ...createShadowActivities({
      ...(deps.store ? { store: deps.store } : {}),
      ...(deps.temporal ? { client: deps.temporal.client } : {}),
      now,
      prepare: (request) => pipeline.prepareTask(request),
      callModel: (args) => models.callModel(args),
    }),
    ...createEvaluationActivities({
      ...(deps.store ? { store: deps.store } : {}),
      ...(deps.temporal ? { client: deps.temporal.client } : {}),
      now,
      prepare: (request) => pipeline.prepareTask(request),
      callModel: (args) => models.callModel(args),
      ...(drift ? { onRecorded: (series) => drift.evaluated(series) } : {}),
    }),
    ...createInjectionCheckActivities(),
    ...createVerifierActivities(),
    ...createReviewActivities({ now, queue: deps.reviewQueue, publish }),
    ...createEventActivities({ publish, store: deps.store, now }),
    ...createEraseActivities({
      ...(deps.temporal ?? {}),
      ...(deps.store ? { store: deps.store } : {}),
      ...(deps.blobs ? { blobs: deps.blobs } : {}),
      now,
    }),
    ...createRetentionActivities({
      ...(deps.temporal ?? {}),
      ...(deps.store ? { store: deps.store } : {}),
      ...(deps.blobs ? { blobs: deps.blobs } : {}),
      now,
    }),
    ...createDebugSampleRetention({ ...(deps.store ? { store: deps.store } : {}) }),
    ...createUnownedBlobRetention({
      ...(deps.temporal ?? {}),
      ...(deps.blobs ? { blobs: deps.blobs } : {}),
    }),
    ...createWebhookActivities({
      store: deps.store,
      now,
      logger: deps.logger,
      allowPrivate: deps.webhookAllowPrivate ?? false,
    }),
    ...createBatchActivities({ store: deps.store, publish, now }),
    ...createLongDocumentActivities({ publish, logger: deps.logger }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { TaskPlan, ValidationResult } from './pipeline/pipeline-activities';
export type { InputScreening } from './guards/screen-input';
export type { InjectionVerdictReading } from './guards/injection-verdict';
export type { VerifierVerdictReading } from './guards/verifier-verdict';
export type { CallModelArgs, CallModelResult } from './models/call-model';
export type { LastGoodAnswer } from '../shared/platform/last-good';
