import { ConfigError, loadConfig, requireInputKeySecret } from '../shared/platform/config';
import { exitWithParent } from '../shared/platform/exit-with-parent';
import { assertSupportedNode } from '../shared/platform/node-version';
import { createLogger } from '../shared/platform/logger';
import { collectProcessMetrics, labelByTenant, serveMetrics } from '../shared/platform/metrics';
import {
  configuredHooks,
  createTemporalConnector,
  installTemporalRuntime,
  logPayloadEncryption,
} from '../shared/platform/temporal-connection';
import { gracefulShutdown } from '../shared/platform/shutdown';
import { startMetricShare } from '../shared/tenancy/metric-share';
import { openTenancy, RESERVATION_SWEEP_MS } from '../shared/tenancy/open';
import { registerRetentionSchedule } from '../temporal/retention-schedule';
import { createKeelWorker, registerSearchAttributes } from './keel-worker';

/** `npm run worker`: one worker process. Run N of them against a shared cluster to scale out. */
async function main(): Promise<void> {
  assertSupportedNode();
  const config = loadConfig();
  requireInputKeySecret(config); // a boot error before connecting, not after
  const logger = createLogger({
    name: 'worker',
    level: config.logLevel,
    traceIds: !!config.tracing,
  });
  logPayloadEncryption(config, logger);
  // Only with tracing on is the OpenTelemetry SDK loaded at all.
  const tracing = config.tracing
    ? (await import('../shared/platform/tracing')).startTracing({
        settings: config.tracing,
        component: 'worker',
        logger,
      })
    : undefined;
  // The process handles its signals (gracefulShutdown, below): the SDK must not install handlers.
  installTemporalRuntime({
    logger,
    level: config.logLevel,
    shutdownSignals: [],
    metricsAddress: config.metrics.temporalAddress,
  });
  collectProcessMetrics();
  labelByTenant(config.metrics.tenantLabel);
  const metrics =
    config.metrics.workerPort > 0
      ? await serveMetrics({
          port: config.metrics.workerPort,
          host: config.host,
          token: config.metrics.token,
        })
      : undefined;
  const temporal = createTemporalConnector(config.temporal, {
    ...configuredHooks(config),
    ...tracing?.temporalHooks,
  });
  await registerSearchAttributes(temporal, logger);
  const connection = await temporal.connectNative();
  // Activities talk to Temporal too (the shared breakers): a client connection of their own.
  const activityClient = await temporal.openClient();
  // Retention runs as background work: the schedule is created or brought up to date at boot.
  await registerRetentionSchedule(
    {
      client: activityClient.client,
      taskQueue: config.backgroundTaskQueue,
      everyMs: config.retentionEveryMs,
    },
    logger,
  );
  const closeConnections = async (): Promise<void> => {
    await activityClient.close();
    await connection.close();
  };
  const tenancy = await openTenancy(config, {
    sweepEveryMs: RESERVATION_SWEEP_MS,
    onSweepError: (err) => logger.warn({ err }, 'budget reservation sweep failed'),
  });
  const keel = await createKeelWorker({
    config,
    logger,
    temporal,
    connection,
    client: activityClient.client,
    tenancy,
  }).catch(async (err: unknown) => {
    await closeConnections();
    await tenancy.close();
    throw err;
  });
  // The operator dashboard sums every process's row (docs/dashboard.md); deleted at the stop.
  const sharing = startMetricShare({
    store: tenancy.store.metricShares,
    role: 'worker',
    everyMs: config.metrics.shareEveryMs,
    logger,
  });
  const running = keel.run().finally(async () => {
    metrics?.close();
    await sharing.stop();
    await closeConnections();
    await tenancy.close();
    await tracing?.shutdown();
  });
  // First signal: stop polling, let in-flight activities finish (up to the grace), exit 0.
  // A second: exit at once.
  const shutdown = gracefulShutdown({
    logger,
    graceMs: config.shutdownGraceMs,
    inFlight: () => keel.inFlight(),
    drain: async () => {
      keel.stop();
      await running;
    },
  });
  exitWithParent(config.parentPid, () => shutdown.begin('supervisor gone'));
  logger.info(
    {
      taskQueue: config.taskQueue,
      namespace: config.temporal.namespace,
      address: config.temporal.address,
      ...(metrics ? { metricsPort: config.metrics.workerPort } : {}),
    },
    'worker polling',
  );
  // Settles on its own only when the worker fails (exit 1, below); a shutdown exits before.
  await running;
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else createLogger({ name: 'worker' }).fatal({ err }, 'worker stopped');
  process.exit(1);
});
