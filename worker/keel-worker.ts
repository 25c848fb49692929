import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createProviders } from '../activities/providers/create-providers';
import { requireInputKeySecret, type KeelConfig } from '../shared/runtime/config';
import { LastGoodAnswers } from '../shared/runtime/last-good';
import type { Logger } from '../shared/runtime/logger';
import { ProviderHealth } from '../shared/runtime/provider-health';
import { ReviewQueue } from '../shared/runtime/review-queue';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { connectClient } from '../shared/runtime/temporal-connection';
import { createKeelWorker } from './create-worker';

export interface KeelWorker {
  worker: Worker;
  /** Runs until shutdown; then sends the breakers' queued outcomes. */
  run(): Promise<void>;
}

/**
 * A worker wired to this deployment's providers and shared state: used by `npm run worker` and,
 * with `KEEL_EMBEDDED_WORKER=true`, inside the API process (shared connection, eager starts).
 * `client` is what activities use to reach Temporal (breakers, review queue, last good answers).
 */
export async function buildKeelWorker(
  config: KeelConfig,
  logger: Logger,
  connection: NativeConnection,
  client: Client,
): Promise<KeelWorker> {
  const health = new ProviderHealth(client, config.taskQueue, logger, config.models.breaker);
  const worker = await createKeelWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    activityDeps: {
      logger,
      providers: createProviders(config),
      registry: config.models,
      lastGood: new LastGoodAnswers(client, logger),
      inputKeySecret: requireInputKeySecret(config),
      health,
      reviewQueue: new ReviewQueue(client, config.taskQueue, logger),
    },
    shutdownGraceMs: config.shutdownGraceMs,
  });
  return {
    worker,
    run: async () => {
      await worker.run();
      // Outcomes still queued for the breakers go out before the connection closes.
      await health.close();
    },
  };
}

/**
 * Workflows upsert KeelStatus; on a namespace without Keel's search attributes every workflow task
 * would fail. Register them at boot (idempotent); where the operator API is not allowed (Temporal
 * Cloud API keys usually are not), say what to create by hand.
 */
export async function registerSearchAttributes(config: KeelConfig, logger: Logger): Promise<void> {
  const connection = await connectClient(config.temporal);
  try {
    const added = await ensureSearchAttributes(connection, config.temporal.namespace);
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
