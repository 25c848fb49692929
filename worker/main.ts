import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig, type KeelConfig } from '../shared/runtime/config';
import { createLogger, type Logger } from '../shared/runtime/logger';
import { exitWithParent } from '../shared/runtime/exit-with-parent';
import { connectClient, connectWorker } from '../shared/runtime/temporal-connection';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { createProviders } from '../activities/providers/create-providers';
import { Client } from '@temporalio/client';
import { ProviderHealth } from '../shared/runtime/provider-health';
import { ReviewQueue } from '../shared/runtime/review-queue';
import { LastGoodAnswers } from '../shared/runtime/last-good';
import { resolveSecret } from '../shared/runtime/secret-file';
import { createKeelWorker } from './create-worker';

/** `npm run worker`: one worker process. Run N of them against a shared cluster to scale out. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'worker', level: config.logLevel });
  // SIGINT/SIGTERM: stop polling, let in-flight activities finish (up to the grace time), exit.
  Runtime.install({
    logger: new DefaultLogger(
      config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN',
    ),
    shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'],
  });
  await registerSearchAttributes(config, logger);
  const connection = await connectWorker(config.temporal);
  // Activities talk to Temporal too (the shared breakers): a client connection of their own.
  const clientConnection = await connectClient(config.temporal);
  const activityClient = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
  });
  try {
    const health = new ProviderHealth(
      activityClient,
      config.taskQueue,
      logger,
      config.models.breaker,
    );
    const worker = await createKeelWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.taskQueue,
      activityDeps: {
        logger,
        providers: createProviders(config),
        registry: config.models,
        lastGood: new LastGoodAnswers(activityClient, logger),
        inputKeySecret: resolveSecret({
          configured: config.inputKeySecret,
          dataDir: config.dataDir,
          name: 'input-key-secret',
        }).value,
        health,
        reviewQueue: new ReviewQueue(activityClient, config.taskQueue, logger),
      },
      shutdownGraceMs: config.shutdownGraceMs,
    });
    exitWithParent(config.parentPid, () => worker.shutdown());
    logger.info(
      {
        taskQueue: config.taskQueue,
        namespace: config.temporal.namespace,
        address: config.temporal.address,
      },
      'worker polling',
    );
    await worker.run();
    // Outcomes still queued for the breakers go out before the connection closes.
    await health.close();
    logger.info('worker drained and stopped');
  } finally {
    await clientConnection.close();
    await connection.close();
  }
}

/**
 * Workflows upsert KeelStatus; on a namespace without Keel's search attributes every workflow task
 * would fail. Register them at boot (idempotent); where the operator API is not allowed (Temporal
 * Cloud API keys usually are not), say what to create by hand.
 */
async function registerSearchAttributes(config: KeelConfig, logger: Logger): Promise<void> {
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

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
