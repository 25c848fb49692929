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
import { collectProcessMetrics, labelByTenant } from '../shared/platform/metrics';
import { assertSupportedNode } from '../shared/platform/node-version';
import {
  configuredHooks,
  createTemporalConnector,
  installTemporalRuntime,
  logPayloadEncryption,
} from '../shared/platform/temporal-connection';
import { ProviderHealth } from '../shared/platform/provider-health';
import { gracefulShutdown } from '../shared/platform/shutdown';
import type { Tracing } from '../shared/platform/tracing';
import { registerRetentionSchedule } from '../temporal/retention-schedule';
import { createKeelWorker, registerSearchAttributes, type KeelWorker } from '../worker/keel-worker';
import { createApp } from './create-app';
import { Draining } from './draining';
import { JobsService } from './jobs.service';
import { TenantDirectory } from '../shared/tenancy/directory';
import { openTenancy, RESERVATION_SWEEP_MS, type Tenancy } from '../shared/tenancy/open';
import { seedTenantStore } from '../shared/tenancy/seed';

interface Temporal {
  client: Client;
  /** The worker in this process (KEEL_EMBEDDED_WORKER), if any. */
  worker?: KeelWorker;
  /** Waits for the embedded worker (if any) to stop, then closes the connection. */
  close(): Promise<void>;
}

/** The API's Temporal client: on its own connection, or shared with an embedded worker. */
async function connect(
  config: KeelConfig,
  logger: Logger,
  tenancy: Tenancy,
  tracing: Tracing | undefined,
): Promise<Temporal> {
  const temporal = createTemporalConnector(config.temporal, {
    ...configuredHooks(config),
    ...tracing?.temporalHooks,
  });
  if (!config.embeddedWorker) return temporal.openClient();
  // The process handles its own signals (below): the SDK must not install handlers.
  installTemporalRuntime({
    logger,
    level: config.logLevel,
    shutdownSignals: [],
    metricsAddress: config.metrics.temporalAddress,
  });
  await registerSearchAttributes(temporal, logger);
  const connection = await temporal.connectNative();
  // One native connection for the client and the worker: what eager workflow start requires.
  const client = temporal.clientOn(connection);
  // Retention runs as background work: the schedule is created or brought up to date at boot.
  await registerRetentionSchedule(
    { client: client, taskQueue: config.backgroundTaskQueue, everyMs: config.retentionEveryMs },
    logger,
  );
  const keel = await createKeelWorker({ config, logger, temporal, connection, client, tenancy });
  const running = keel.run().catch((err: unknown) => {
    logger.error({ err }, 'embedded worker stopped');
    process.exit(1);
  });
  logger.info({ taskQueue: config.taskQueue }, 'embedded worker polling');
  return {
    client,
    worker: keel,
    close: async () => {
      keel.stop();
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
  const logger = createLogger({
    name: 'server',
    level: config.logLevel,
    traceIds: !!config.tracing,
  });
  logPayloadEncryption(config, logger);
  // Only with tracing on is the OpenTelemetry SDK loaded at all.
  const tracing = config.tracing
    ? (await import('../shared/platform/tracing')).startTracing({
        settings: config.tracing,
        component: 'server',
        logger,
      })
    : undefined;
  collectProcessMetrics();
  labelByTenant(config.metrics.tenantLabel);
  if (config.embeddedWorker) requireInputKeySecret(config); // before connecting: a boot error
  // The tenant store (migrations applied) with the shipped plans, the config file's tenants and
  // the demo tenant; the limits in Redis or in this process. An embedded worker sweeps too.
  const tenancy = await openTenancy(config, {
    sweepEveryMs: config.embeddedWorker ? RESERVATION_SWEEP_MS : 0,
    onSweepError: (err) => logger.warn({ err }, 'budget reservation sweep failed'),
  });
  const demo = demoKey(config, logger);
  await seedTenantStore(tenancy.store, {
    tenants: config.models.tenants,
    ...(demo ? { demoKey: demo } : {}),
    now: Date.now(),
  });
  const tenants = new TenantDirectory(tenancy.store);
  if (!demo && config.models.tenants.length === 0)
    logger.warn(
      'KEEL_DEMO_TENANT is off and KEEL_CONFIG lists no tenant: only keys made with the admin API work',
    );
  logger.info(
    {
      store: tenancy.store.dialect,
      limits: config.redisUrl ? 'redis' : 'memory',
    },
    'tenant store open',
  );

  const temporal = await connect(config, logger, tenancy, tracing);
  const { client } = temporal;
  const app = await createApp({
    config,
    client,
    tenants,
    tenancy,
    logger,
    health: new ProviderHealth(client, config.taskQueue, logger, config.models.breaker),
  });
  const draining = new Draining();
  app.use(draining.middleware());
  await app.listen(config.port, config.host);
  logger.info(
    { port: config.port, host: config.host, temporal: config.temporal.address },
    'API listening',
  );

  // First signal: stop listening (/readyz 503 on open connections), stop the embedded worker's
  // polling, answer the requests in flight (a sync caller still waiting at the grace gets 202 and
  // its job id), let in-flight activities finish (up to the grace), exit 0. A second: exit at once.
  const shutdown = gracefulShutdown({
    logger,
    graceMs: config.shutdownGraceMs,
    inFlight: () => ({ requests: draining.inFlight, ...temporal.worker?.inFlight() }),
    drain: async (graceOver) => {
      draining.begin();
      const server = app.getHttpServer();
      const answered = new Promise<void>((resolve) => server.close(() => resolve()));
      temporal.worker?.stop();
      graceOver.addEventListener('abort', () => app.get(JobsService).endWaits(), { once: true });
      await answered;
      await app.close();
      await temporal.close();
      await tenancy.close();
      await tracing?.shutdown();
    },
  });
  exitWithParent(config.parentPid, () => shutdown.begin('supervisor gone'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else createLogger({ name: 'server' }).fatal({ err }, 'server stopped');
  process.exit(1);
});
