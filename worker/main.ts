import { ConfigError, loadConfig, requireInputKeySecret } from '../shared/platform/config';
import { exitWithParent } from '../shared/platform/exit-with-parent';
import { assertSupportedNode } from '../shared/platform/node-version';
import { createLogger } from '../shared/platform/logger';
import {
  createTemporalConnector,
  installTemporalRuntime,
} from '../shared/platform/temporal-connection';
import { createKeelWorker, registerSearchAttributes } from './keel-worker';

/** `npm run worker`: one worker process. Run N of them against a shared cluster to scale out. */
async function main(): Promise<void> {
  assertSupportedNode();
  const config = loadConfig();
  requireInputKeySecret(config); // a boot error before connecting, not after
  const logger = createLogger({ name: 'worker', level: config.logLevel });
  // SIGINT/SIGTERM: stop polling, let in-flight activities finish (up to the grace time), exit.
  installTemporalRuntime({
    logger,
    level: config.logLevel,
    shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'],
  });
  const temporal = createTemporalConnector(config.temporal);
  await registerSearchAttributes(temporal, logger);
  const connection = await temporal.connectNative();
  // Activities talk to Temporal too (the shared breakers): a client connection of their own.
  const activityClient = await temporal.openClient();
  try {
    const keel = await createKeelWorker({
      config,
      logger,
      temporal,
      connection,
      client: activityClient.client,
    });
    exitWithParent(config.parentPid, () => keel.worker.shutdown());
    logger.info(
      {
        taskQueue: config.taskQueue,
        namespace: config.temporal.namespace,
        address: config.temporal.address,
      },
      'worker polling',
    );
    await keel.run();
    logger.info('worker drained and stopped');
  } finally {
    await activityClient.close();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else createLogger({ name: 'worker' }).fatal({ err }, 'worker stopped');
  process.exit(1);
});
