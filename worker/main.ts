import { Client } from '@temporalio/client';
import { ConfigError, loadConfig, requireInputKeySecret } from '../shared/runtime/config';
import { exitWithParent } from '../shared/runtime/exit-with-parent';
import { assertSupportedNode } from '../shared/runtime/node-version';
import { createLogger } from '../shared/runtime/logger';
import { installTemporalRuntime } from '../shared/runtime/temporal-logger';
import { connectClient, connectWorker } from '../shared/runtime/temporal-connection';
import { buildKeelWorker, registerSearchAttributes } from './keel-worker';

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
  await registerSearchAttributes(config, logger);
  const connection = await connectWorker(config.temporal);
  // Activities talk to Temporal too (the shared breakers): a client connection of their own.
  const clientConnection = await connectClient(config.temporal);
  const activityClient = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
  });
  try {
    const keel = await buildKeelWorker(config, logger, connection, activityClient);
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
    await clientConnection.close();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else createLogger({ name: 'worker' }).fatal({ err }, 'worker stopped');
  process.exit(1);
});
