import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadFileConfig, type KeelFileConfig } from './config-file';
import { parsePayloadKeys, type PayloadKey } from './payload-codec';
import { EnvSchema, type Env } from './config-env';
import { defaultBackgroundQueue, type WorkerSlots } from './task-queues';
import { DEFAULT_DRIFT_SETTINGS, type DriftMonitorSettings } from '../observability/drift-detect';

export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificatePath?: string;
    clientCertPairPaths?: { crt: string; key: string };
  };
  /** True when no TEMPORAL_ADDRESS was given: `npm start` owns the server. */
  embedded: boolean;
}

export interface KeelConfig {
  port: number;
  host: string;
  /** KEEL_DEMO_TENANT: serve the demo tenant. */
  demoTenant: boolean;
  /** KEEL_DEMO_API_KEY, if set (else the demo tenant's key is generated under dataDir). */
  demoApiKey?: string;
  temporal: TemporalSettings;
  /** KEEL_TASK_QUEUE: sync work (a caller waits for the answer). */
  taskQueue: string;
  /** KEEL_BACKGROUND_TASK_QUEUE: work no caller waits for (shared/platform/task-queues.ts). */
  backgroundTaskQueue: string;
  maxBodyBytes: number;
  /** Entries of the per-process result cache (KEEL_CACHE_MAX_ENTRIES). */
  cacheMaxEntries: number;
  /** KEEL_EMBEDDED_WORKER: the API process runs a worker and starts workflows eagerly. */
  embeddedWorker: boolean;
  /**
   * KEEL_MAX_INFLIGHT_TASKS: load shedding; tasks running on the task queue across all API
   * processes, counted from visibility (server/running-tasks.ts). 0 = none. @default 128
   */
  maxInflightTasks: number;
  /** KEEL_RETENTION_EVERY_MS: how often the retention schedule runs (docs/governance.md#retention). */
  retentionEveryMs: number;
  /** KEEL_DRIFT_*: drift detection's windows, minimum samples and cadence (docs/drift.md). */
  drift: DriftMonitorSettings;
  /** KEEL_TENANT_ADMISSIONS: one tenant's admissions in progress at once here (0 = no limit). */
  tenantAdmissions: number;
  /** KEEL_AUTH_FAILURES_PER_MINUTE: failed authentications per client address (0 = no limit). */
  authFailuresPerMinute: number;
  /**
   * KEEL_SHED_WAIT_FRACTION: refuse a sync request whose expected wait (in flight ÷ measured
   * completion rate) is past this fraction of its task's maxSyncMs; 0 = off. @default 0.8
   */
  shedWaitFraction: number;
  /** KEEL_BATCH_CONCURRENCY, KEEL_BATCH_ITEMS_PER_RUN: how a batch runs its items. */
  batches: { concurrency: number; itemsPerRun: number };
  /** KEEL_SSE_MAX_STREAMS, KEEL_SSE_HEARTBEAT_MS, KEEL_EVENT_POLL_MS: event streams. */
  events: { maxStreams: number; heartbeatMs: number; pollMs: number };
  dataDir: string;
  /** sqlitePragmas: KEEL_SQLITE_PRAGMAS; unset = the dev server's default. */
  devServer: { port: number; uiPort: number; sqlitePragmas?: string[] };
  shutdownGraceMs: number;
  /** KEEL_WORKER_MAX_*: how much a worker runs at once. */
  workerSlots: WorkerSlots;
  /** KEEL_WORKER_BACKGROUND_*: the background queue's worker. */
  backgroundSlots: WorkerSlots;
  /** KEEL_WORKER_QUEUES: which queues this process's worker polls. */
  workerQueues: Env['KEEL_WORKER_QUEUES'];
  logLevel: Env['LOG_LEVEL'];
  parentPid?: number;
  /** Providers, models and prices (KEEL_CONFIG or the built-in default). */
  models: KeelFileConfig;
  /** Vendor credentials by environment variable name (only the ones providers reference). */
  secrets: Readonly<Record<string, string | undefined>>;
  /** Default endpoints from OPENAI_BASE_URL / ANTHROPIC_BASE_URL. */
  vendorBaseUrls: { openai?: string; anthropic?: string };
  /** KEEL_INPUT_KEY_SECRET, if set; a worker needs it (requireInputKeySecret). */
  inputKeySecret?: string;
  /** KEEL_DATABASE_URL: the tenant store in PostgreSQL; unset = `<dataDir>/keel.db` (SQLite). */
  databaseUrl?: string;
  /** KEEL_REDIS_URL: limits in Redis; unset = in the API process. */
  redisUrl?: string;
  /**
   * `/metrics`: `token` (KEEL_METRICS_TOKEN) required when set; `workerPort`
   * (KEEL_WORKER_METRICS_PORT, 0 = off); `temporalAddress` (KEEL_TEMPORAL_METRICS_ADDRESS);
   * `tenantLabel` (KEEL_METRICS_TENANT_LABEL): a few counters labelled by tenant too;
   * `shareEveryMs` (KEEL_METRICS_SHARE_MS, 0 = off): the dashboard's metrics to the tenant store.
   */
  metrics: {
    token?: string;
    workerPort: number;
    temporalAddress?: string;
    tenantLabel: boolean;
    shareEveryMs: number;
  };
  /**
   * The payload codec's keys (KEEL_PAYLOAD_KEYS or KEEL_PAYLOAD_KEY_FILE), primary first;
   * undefined = no encryption.
   */
  payloadKeys?: PayloadKey[];
  /**
   * KEEL_CLAIM_CHECK_BYTES, KEEL_BLOB_DIR: payloads above `thresholdBytes` go to the blob
   * directory, histories keep a reference; undefined = off.
   */
  claimCheck?: { thresholdBytes: number; dir: string };
  /** KEEL_TENANT_BINDINGS_MAX: workflow → tenant bindings each process keeps (per-tenant keys). */
  tenantBindingsMax: number;
  /** KEEL_CODEC_CORS_ORIGINS: browser origins (the Web UI) allowed to call `/codec/*`. */
  codecCorsOrigins: string[];
  /**
   * Webhooks: `allowPrivate` (KEEL_WEBHOOK_ALLOW_PRIVATE) lets them go to private addresses;
   * `retryInitialMs` (KEEL_WEBHOOK_RETRY_INITIAL_MS) is the first retry's wait.
   */
  webhooks: { allowPrivate: boolean; retryInitialMs: number };
  /** KEEL_NEXUS_ENDPOINTS: Nexus endpoint name → the tenant its operations run for. */
  nexusEndpoints: Readonly<Record<string, string>>;
  /**
   * OpenTelemetry tracing (docs/traces.md): on when OTEL_EXPORTER_OTLP_ENDPOINT (or its traces
   * variant) or OTEL_TRACES_EXPORTER is set; `undefined` = off.
   */
  tracing?: {
    exporter: 'otlp' | 'console';
    serviceName: string;
    /**
     * OTEL_TRACES_SAMPLER is set: the SDK's sampler from it. Otherwise Keel's default, sampling
     * off: a request is recorded only when its caller's `traceparent` says so.
     */
    samplerFromEnv: boolean;
    /**
     * Whether the sampler keeps an unsampled parent's children unsampled: Keel's default and the
     * SDK's `parentbased_*` (and `always_off`). Then an unsampled context skips the Temporal
     * spans altogether (shared/platform/trace-interceptors.ts).
     */
    followsParent: boolean;
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * What `npm start` (the embedded default, one machine, no setup) asks for beyond the defaults
 * every process has. The operator's environment still wins.
 */
export const EMBEDDED_DEFAULTS: Readonly<NodeJS.ProcessEnv> = {
  KEEL_DEMO_TENANT: 'true',
  // The fast deployment: the API runs the worker on its own connection and starts eagerly.
  KEEL_EMBEDDED_WORKER: 'true',
};

/**
 * Parses the environment once. A bad value throws a ConfigError naming the variable. `defaults`
 * apply where the environment leaves a variable unset (`npm start` passes EMBEDDED_DEFAULTS).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { defaults?: Readonly<NodeJS.ProcessEnv> } = {},
): KeelConfig {
  // Empty strings mean "unset", as in most shells' `FOO= cmd`.
  const cleaned = {
    ...options.defaults,
    ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '' && v !== undefined)),
  };
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const useTls =
    e.TEMPORAL_TLS ??
    (!!e.TEMPORAL_API_KEY || !!e.TEMPORAL_TLS_CERT_PATH || !!e.TEMPORAL_TLS_CA_PATH);
  if (!!e.TEMPORAL_TLS_CERT_PATH !== !!e.TEMPORAL_TLS_KEY_PATH) {
    throw new ConfigError([
      'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together',
    ]);
  }
  if (e.KEEL_DEMO_API_KEY && !e.KEEL_DEMO_TENANT) {
    // A demo key with the demo tenant off is a mistake either way: refuse rather than guess.
    throw new ConfigError([
      'KEEL_DEMO_API_KEY: set while KEEL_DEMO_TENANT is off; set KEEL_DEMO_TENANT=true to serve the demo tenant, or unset the key',
    ]);
  }
  const dataDir = path.resolve(e.KEEL_DATA_DIR);
  const payloadKeys = loadPayloadKeys(e.KEEL_PAYLOAD_KEYS, e.KEEL_PAYLOAD_KEY_FILE);
  let models: KeelFileConfig;
  try {
    models = loadFileConfig(e.KEEL_CONFIG);
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  const keyEnvs = [
    'OPENAI_API_KEY',
    'ANTHROPIC_API_KEY',
    ...models.providers.flatMap((p) => [
      ...(p.apiKeyEnv ? [p.apiKeyEnv] : []),
      ...(p.apiKeyEnvs ?? []),
    ]),
  ];
  return {
    port: e.PORT,
    host: e.HOST,
    demoTenant: e.KEEL_DEMO_TENANT,
    demoApiKey: e.KEEL_DEMO_API_KEY,
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? `127.0.0.1:${e.KEEL_TEMPORAL_PORT}`,
      namespace: e.TEMPORAL_NAMESPACE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: useTls
        ? {
            serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME,
            serverRootCACertificatePath: e.TEMPORAL_TLS_CA_PATH,
            clientCertPairPaths:
              e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH
                ? { crt: e.TEMPORAL_TLS_CERT_PATH, key: e.TEMPORAL_TLS_KEY_PATH }
                : undefined,
          }
        : undefined,
      embedded: !e.TEMPORAL_ADDRESS,
    },
    taskQueue: e.KEEL_TASK_QUEUE,
    backgroundTaskQueue: e.KEEL_BACKGROUND_TASK_QUEUE ?? defaultBackgroundQueue(e.KEEL_TASK_QUEUE),
    maxBodyBytes: e.KEEL_MAX_BODY_BYTES,
    cacheMaxEntries: e.KEEL_CACHE_MAX_ENTRIES,
    embeddedWorker: e.KEEL_EMBEDDED_WORKER,
    maxInflightTasks: e.KEEL_MAX_INFLIGHT_TASKS,
    authFailuresPerMinute: e.KEEL_AUTH_FAILURES_PER_MINUTE,
    tenantAdmissions: e.KEEL_TENANT_ADMISSIONS,
    retentionEveryMs: e.KEEL_RETENTION_EVERY_MS,
    drift: {
      ...DEFAULT_DRIFT_SETTINGS,
      baseline: e.KEEL_DRIFT_BASELINE,
      window: e.KEEL_DRIFT_WINDOW,
      minSamples: e.KEEL_DRIFT_MIN_SAMPLES,
      evaluateEvery: e.KEEL_DRIFT_EVALUATE_EVERY,
    },
    shedWaitFraction: e.KEEL_SHED_WAIT_FRACTION,
    batches: { concurrency: e.KEEL_BATCH_CONCURRENCY, itemsPerRun: e.KEEL_BATCH_ITEMS_PER_RUN },
    events: {
      maxStreams: e.KEEL_SSE_MAX_STREAMS,
      heartbeatMs: e.KEEL_SSE_HEARTBEAT_MS,
      pollMs: e.KEEL_EVENT_POLL_MS,
    },
    dataDir,
    devServer: {
      port: e.KEEL_TEMPORAL_PORT,
      uiPort: e.KEEL_TEMPORAL_UI_PORT,
      sqlitePragmas: e.KEEL_SQLITE_PRAGMAS,
    },
    shutdownGraceMs: e.KEEL_SHUTDOWN_GRACE_MS,
    workerSlots: {
      workflowTasks: e.KEEL_WORKER_MAX_WORKFLOW_TASKS,
      activities: e.KEEL_WORKER_MAX_ACTIVITIES,
      localActivities: e.KEEL_WORKER_MAX_LOCAL_ACTIVITIES,
    },
    backgroundSlots: {
      workflowTasks: e.KEEL_WORKER_BACKGROUND_WORKFLOW_TASKS,
      activities: e.KEEL_WORKER_BACKGROUND_ACTIVITIES,
      localActivities: e.KEEL_WORKER_BACKGROUND_LOCAL_ACTIVITIES,
    },
    workerQueues: e.KEEL_WORKER_QUEUES,
    logLevel: e.LOG_LEVEL,
    parentPid: e.KEEL_PARENT_PID,
    models,
    secrets: Object.fromEntries(keyEnvs.map((name) => [name, cleaned[name]])),
    vendorBaseUrls: { openai: e.OPENAI_BASE_URL, anthropic: e.ANTHROPIC_BASE_URL },
    inputKeySecret: e.KEEL_INPUT_KEY_SECRET,
    databaseUrl: e.KEEL_DATABASE_URL,
    redisUrl: e.KEEL_REDIS_URL,
    metrics: {
      token: e.KEEL_METRICS_TOKEN,
      workerPort: e.KEEL_WORKER_METRICS_PORT,
      temporalAddress: e.KEEL_TEMPORAL_METRICS_ADDRESS,
      tenantLabel: e.KEEL_METRICS_TENANT_LABEL,
      shareEveryMs: e.KEEL_METRICS_SHARE_MS,
    },
    payloadKeys,
    tenantBindingsMax: e.KEEL_TENANT_BINDINGS_MAX,
    ...(e.KEEL_CLAIM_CHECK_BYTES > 0
      ? {
          claimCheck: {
            thresholdBytes: e.KEEL_CLAIM_CHECK_BYTES,
            dir: path.resolve(e.KEEL_BLOB_DIR ?? path.join(dataDir, 'blobs')),
          },
        }
      : {}),
    webhooks: {
      allowPrivate: e.KEEL_WEBHOOK_ALLOW_PRIVATE,
      retryInitialMs: e.KEEL_WEBHOOK_RETRY_INITIAL_MS,
    },
    nexusEndpoints: Object.fromEntries(
      (e.KEEL_NEXUS_ENDPOINTS ?? '')
        .split(',')
        .filter((pair) => pair.trim())
        .map((pair): [string, string] => {
          const [endpoint = '', tenant = ''] = pair.split('=');
          return [endpoint.trim(), tenant.trim()];
        }),
    ),
    ...tracingConfig(e),
    codecCorsOrigins: (e.KEEL_CODEC_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim().replace(/\/$/, ''))
      .filter(Boolean),
  };
}

/** Tracing on when an OTLP endpoint or an exporter is named, unless switched off. */
function tracingConfig(e: Env): Pick<KeelConfig, 'tracing'> {
  const named =
    !!e.OTEL_EXPORTER_OTLP_ENDPOINT ||
    !!e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    e.OTEL_TRACES_EXPORTER !== undefined;
  if (!named || e.OTEL_SDK_DISABLED || e.OTEL_TRACES_EXPORTER === 'none') return {};
  return {
    tracing: {
      exporter: e.OTEL_TRACES_EXPORTER === 'console' ? 'console' : 'otlp',
      serviceName: e.OTEL_SERVICE_NAME,
      samplerFromEnv: e.OTEL_TRACES_SAMPLER !== undefined,
      followsParent:
        e.OTEL_TRACES_SAMPLER === undefined ||
        e.OTEL_TRACES_SAMPLER === 'always_off' ||
        e.OTEL_TRACES_SAMPLER.startsWith('parentbased_'),
    },
  };
}

/** KEEL_PAYLOAD_KEYS or the file KEEL_PAYLOAD_KEY_FILE names; a bad key stops the boot. */
function loadPayloadKeys(keys?: string, file?: string): PayloadKey[] | undefined {
  if (keys && file)
    throw new ConfigError(['KEEL_PAYLOAD_KEYS and KEEL_PAYLOAD_KEY_FILE: set one, not both']);
  const name = keys ? 'KEEL_PAYLOAD_KEYS' : 'KEEL_PAYLOAD_KEY_FILE';
  let spec = keys;
  if (file) {
    try {
      spec = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([
        `${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
      ]);
    }
  }
  if (spec === undefined) return undefined;
  try {
    return parsePayloadKeys(spec);
  } catch (err) {
    throw new ConfigError([`${name}: ${(err as Error).message}`]);
  }
}

/**
 * The HMAC key for input keys, for a process that runs a worker. There is no fallback: a fixed
 * key would make input keys guessable, and one generated per worker would differ between
 * workers. `npm start` generates one under KEEL_DATA_DIR and hands it to its processes.
 */
export function requireInputKeySecret(config: Pick<KeelConfig, 'inputKeySecret'>): string {
  if (config.inputKeySecret) return config.inputKeySecret;
  throw new ConfigError([
    'KEEL_INPUT_KEY_SECRET: required to run a worker (the HMAC key for input keys, at least 16 characters, the same on every worker; e.g. `openssl rand -base64 32`)',
  ]);
}
