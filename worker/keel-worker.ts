import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createWebhookSink } from '../activities/webhooks/sink';
import { createProviders } from '../activities/models/providers/create-providers';
import { requireInputKeySecret, type KeelConfig } from '../shared/platform/config';
import { FileBlobStore } from '../shared/platform/blob-store';
import { LastGoodAnswers } from '../shared/platform/last-good';
import type { Logger } from '../shared/platform/logger';
import { ProviderHealth } from '../shared/platform/provider-health';
import { ReviewQueue } from '../shared/platform/review-queue';
import type { TemporalConnector } from '../shared/platform/temporal-connection';
import { TenantDirectory } from '../shared/tenancy/directory';
import type { Tenancy } from '../shared/tenancy/open';
import { PlanGate } from '../shared/tenancy/plan-gate';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { polledQueues, type QueueKind } from '../shared/platform/task-queues';
import { keelNexusHandler } from './nexus-handler';
import { workflowBundle } from './workflow-bundle';

/** The bundle entry (a folder: webpack resolves index.ts in source, index.js when built). */
export const WORKFLOWS_PATH = path.join(__dirname, '../workflows');

export interface KeelWorker {
  /** One SDK worker per polled queue (KEEL_WORKER_QUEUES): interactive, background, or both. */
  workers: { kind: QueueKind; taskQueue: string; worker: Worker }[];
  /** Runs until shutdown; then sends the breakers' queued outcomes. */
  run(): Promise<void>;
  /** Stops polling; activities in flight get `shutdownGraceMs`, then the SDK cancels them. */
  stop(): void;
  /** What runs now, for shutdown logs. */
  inFlight(): Record<string, number>;
}

export interface CreateKeelWorkerOptions {
  config: KeelConfig;
  logger: Logger;
  /** Where connections, clients and the worker's converter and interceptors come from. */
  temporal: TemporalConnector;
  /** The worker's own connection, from `temporal.connectNative()`. */
  connection: NativeConnection;
  /** What activities use to reach Temporal (breakers, review queue, last good answers). */
  client: Client;
  /**
   * A prebuilt bundle (tests build one and share it); otherwise the cached bundle for this version
   * of the code (worker/workflow-bundle.ts), built now if there is none.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The tenant store and limiter (the API's own when the worker runs inside it). */
  tenancy?: Pick<Tenancy, 'store' | 'limiter'>;
}

/** Keel's activities wired to this deployment's providers and shared state (breakers, review queue). */
export function keelActivities(args: {
  config: KeelConfig;
  logger: Logger;
  client: Client;
  health: ProviderHealth;
  taskQueue: string;
  tenancy?: Pick<Tenancy, 'store' | 'limiter'>;
}): ReturnType<typeof createActivities> {
  const { config, logger, client } = args;
  return createActivities({
    logger,
    providers: createProviders(config),
    registry: config.models,
    lastGood: new LastGoodAnswers(client, logger),
    inputKeySecret: requireInputKeySecret(config),
    health: args.health,
    reviewQueue: new ReviewQueue(client, args.taskQueue, logger),
    ...(args.tenancy ? { store: args.tenancy.store, limiter: args.tenancy.limiter } : {}),
    // Each event starts a delivery workflow per subscribed endpoint (activities/webhooks/).
    ...(args.tenancy
      ? {
          eventSinks: [
            createWebhookSink({
              store: args.tenancy.store,
              client,
              taskQueue: args.taskQueue,
              initialIntervalMs: config.webhooks.retryInitialMs,
              now: Date.now,
            }),
          ],
        }
      : {}),
    webhookAllowPrivate: config.webhooks.allowPrivate,
    temporal: { client, namespace: config.temporal.namespace },
    drift: config.drift,
    // Shadow tests run where work nobody waits on runs (docs/experiments.md).
    experiments: { taskQueue: config.backgroundTaskQueue },
    ...(config.claimCheck ? { blobs: new FileBlobStore(config.claimCheck.dir) } : {}),
  });
}

/**
 * The worker wired to this deployment's providers and shared state: used by `npm run worker` and,
 * with `KEEL_EMBEDDED_WORKER=true`, inside the API process (shared connection, eager starts).
 */
export async function createKeelWorker(options: CreateKeelWorkerOptions): Promise<KeelWorker> {
  const { config, logger, client } = options;
  const health = new ProviderHealth(client, config.taskQueue, logger, config.models.breaker);
  const bundle =
    options.workflowBundle ??
    (await workflowBundle({
      workflowsPath: WORKFLOWS_PATH,
      cacheDir: path.join(config.dataDir, 'cache'),
      workflowInterceptorModules: options.temporal.workerOptions().interceptors?.workflowModules,
      failureConverterPath: options.temporal.workerOptions().dataConverter?.failureConverterPath,
      logger,
    }));
  // One set of activities (providers, breakers, tenant store) for both queues' workers.
  const activities = keelActivities({
    config,
    logger,
    client,
    health,
    taskQueue: config.taskQueue,
    tenancy: options.tenancy,
  });
  // Sync and background work on queues of their own, each with its own slots and its own
  // workflow thread: a backlog of background tasks never takes the slots sync requests need.
  const workers = await Promise.all(
    polledQueues(config).map(async ({ kind, taskQueue, slots }) => ({
      kind,
      taskQueue,
      worker: await Worker.create({
        ...options.temporal.workerOptions(),
        connection: options.connection,
        taskQueue,
        workflowBundle: bundle,
        activities,
        // Keel's tasks as Nexus operations, for the tenants of KEEL_NEXUS_ENDPOINTS (docs/nexus.md).
        ...(kind === 'interactive' ? { nexusServices: [nexusService(options)] } : {}),
        shutdownGraceTime: config.shutdownGraceMs,
        maxConcurrentWorkflowTaskExecutions: slots.workflowTasks,
        maxConcurrentActivityTaskExecutions: slots.activities,
        maxConcurrentLocalActivityExecutions: slots.localActivities,
        // When a worker dies, its cached workflows move to another worker after this long instead
        // of the default 10 s: tasks and the shared breakers (updates) recover quickly.
        stickyQueueScheduleToStartTimeout: '2 seconds',
      }),
    })),
  );
  return {
    workers,
    run: async () => {
      // Both stop together: one failing shuts the other down, and the error is the run's.
      await Promise.all(
        workers.map(({ worker }) =>
          worker.run().catch((err: unknown) => {
            for (const other of workers)
              if (other.worker.getState() === 'RUNNING') other.worker.shutdown();
            throw err;
          }),
        ),
      );
      // Outcomes still queued for the breakers go out before the connection closes.
      await health.close();
    },
    stop: () => {
      for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
    inFlight: () => {
      const sum = { activities: 0, localActivities: 0, workflowActivations: 0 };
      for (const { worker } of workers) {
        const status = worker.getStatus();
        sum.activities += status.numInFlightNonLocalActivities;
        sum.localActivities += status.numInFlightLocalActivities;
        sum.workflowActivations += status.numInFlightWorkflowActivations;
      }
      return sum;
    },
  };
}

/** Keel's Nexus service, served by the interactive queue's worker. */
function nexusService(options: CreateKeelWorkerOptions) {
  const { config } = options;
  return keelNexusHandler({
    taskQueue: config.taskQueue,
    endpoints: config.nexusEndpoints,
    // The endpoint's tenant passes its plan's gate, as at the API's door.
    ...(options.tenancy
      ? {
          plans: {
            tenants: new TenantDirectory(options.tenancy.store),
            gate: new PlanGate(config, options.tenancy),
          },
        }
      : {}),
  });
}

/**
 * Workflows upsert KeelStatus; on a namespace without Keel's search attributes every workflow task
 * would fail. Register them at boot (idempotent); where the operator API is not allowed (Temporal
 * Cloud API keys usually are not), say what to create by hand.
 */
export async function registerSearchAttributes(
  temporal: TemporalConnector,
  logger: Logger,
): Promise<void> {
  const connection = await temporal.connect();
  try {
    const added = await ensureSearchAttributes(connection, temporal.settings.namespace);
    if (added.length) logger.info({ added }, 'registered search attributes');
  } catch (err) {
    logger.warn(
      { err: (err as Error).message },
      'could not register search attributes KeelTenant, KeelTask, KeelStatus (Keyword); create them on the namespace',
    );
  } finally {
    await connection.close();
  }
}
