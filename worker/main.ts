import { Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../shared/runtime/config';
import { createLogger } from '../shared/runtime/logger';
import { connectWorker } from '../shared/runtime/temporal-connection';
import { exitWithParent } from '../shared/runtime/exit-with-parent';
import { createKeelWorker } from './create-worker';

/** `npm run worker`: one worker process. Run N of them against a shared cluster to scale out. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'worker', level: config.logLevel });
  // SIGINT/SIGTERM: stop polling, let in-flight activities finish (up to the grace time), exit.
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] });
  const connection = await connectWorker(config.temporal);
  try {
    const worker = await createKeelWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.taskQueue,
      activityDeps: { logger },
      shutdownGraceMs: config.shutdownGraceMs,
    });
    exitWithParent(config.parentPid, () => worker.shutdown());
    logger.info(
      { taskQueue: config.taskQueue, namespace: config.temporal.namespace, address: config.temporal.address },
      'worker polling',
    );
    await worker.run();
    logger.info('worker drained and stopped');
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
