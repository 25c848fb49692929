import type { Client } from '@temporalio/client';
import {
  ConfigError,
  loadConfig,
  requireInputKeySecret,
  type KeelConfig,
} from '../shared/platform/config';
import { resolveDemoApiKey } from '../shared/platform/demo-key';
import { exitWithParent } from '../shared/platform/exit-with-parent';
import { createLogger, type Logger } from '../shared/platform/logger';
import { assertSupportedNode } from '../shared/platform/node-version';
import {
  createTemporalConnector,
  installTemporalRuntime,
} from '../shared/platform/temporal-connection';
import { ProviderHealth } from '../shared/platform/provider-health';
import { createKeelWorker, registerSearchAttributes } from '../worker/keel-worker';
import { createApp } from './create-app';
import { TenantDirectory } from './tenants';

interface Temporal {
  client: Client;
  /** Stops the embedded worker (if any), then closes the connection. */
  close(): Promise<void>;
}

/** The API's Temporal client: on its own connection, or shared with an embedded worker. */
async function connect(config: KeelConfig, logger: Logger): Promise<Temporal> {
  const temporal = createTemporalConnector(config.temporal);
  if (!config.embeddedWorker) return temporal.openClient();
  // The process handles its own signals (below): the SDK must not install handlers.
  installTemporalRuntime({ logger, level: config.logLevel, shutdownSignals: [] });
  await registerSearchAttributes(temporal, logger);
  const connection = await temporal.connectNative();
  // One native connection for the client and the worker: what eager workflow start requires.
  const client = temporal.clientOn(connection);
  const keel = await createKeelWorker({ config, logger, temporal, connection, client });
  const running = keel.run().catch((err: unknown) => {
    logger.error({ err }, 'embedded worker stopped');
    process.exit(1);
  });
  logger.info({ taskQueue: config.taskQueue }, 'embedded worker polling');
  return {
    client,
    close: async () => {
      keel.worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** The demo tenant's key when KEEL_DEMO_TENANT is on; never logged. */
function demoKey(config: KeelConfig, logger: Logger): string | undefined {
  if (!config.demoTenant) return undefined;
  const demo = resolveDemoApiKey({ configured: config.demoApiKey, dataDir: config.dataDir });
  if (demo.source === 'generated')
    logger.info(`generated demo API key, kept in ${config.dataDir}/demo-api-key`);
  return demo.key;
}

/** `npm run server`: one stateless API process. Run N behind a load balancer to scale out. */
async function main(): Promise<void> {
  assertSupportedNode();
  const config = loadConfig();
  const logger = createLogger({ name: 'server', level: config.logLevel });
  if (config.embeddedWorker) requireInputKeySecret(config); // before connecting: a boot error
  const tenants = TenantDirectory.fromConfig(demoKey(config, logger), config.models.tenants);
  if (tenants.size === 0)
    logger.warn(
      'no tenants: KEEL_DEMO_TENANT is off and KEEL_CONFIG lists none; every call is 401',
    );

  const temporal = await connect(config, logger);
  const { client } = temporal;
  const app = await createApp({
    config,
    client,
    tenants,
    logger,
    health: new ProviderHealth(client, config.taskQueue, logger, config.models.breaker),
  });
  await app.listen(config.port, config.host);
  logger.info(
    { port: config.port, host: config.host, temporal: config.temporal.address },
    'API listening',
  );

  let closing = false;
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await app.close();
    await temporal.close();
    logger.info('API stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void close());
  exitWithParent(config.parentPid, () => void close());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else createLogger({ name: 'server' }).fatal({ err }, 'server stopped');
  process.exit(1);
});
