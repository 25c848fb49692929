import { Client } from '@temporalio/client';
import { ConfigError, loadConfig } from '../shared/runtime/config';
import { resolveDemoApiKey } from '../shared/runtime/demo-key';
import { exitWithParent } from '../shared/runtime/exit-with-parent';
import { createLogger } from '../shared/runtime/logger';
import { connectClient } from '../shared/runtime/temporal-connection';
import { ProviderHealth } from '../shared/runtime/provider-health';
import { createApp } from './create-app';
import { TenantDirectory } from './tenants';

/** `npm run server`: one stateless API process. Run N behind a load balancer to scale out. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'server', level: config.logLevel });
  const demo = resolveDemoApiKey({ configured: config.demoApiKey, dataDir: config.dataDir });
  if (demo.source === 'generated')
    logger.info(`generated demo API key, kept in ${config.dataDir}/demo-api-key`);

  const connection = await connectClient(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = await createApp({
    config,
    client,
    tenants: TenantDirectory.fromConfig(demo.key, config.models.tenants),
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
    await connection.close();
    logger.info('API stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void close());
  exitWithParent(config.parentPid, () => void close());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
