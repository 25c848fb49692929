import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../contracts/messages';
import { loadFileConfig, type KeelFileConfig } from './config-file';
import { parsePayloadKeys, type PayloadKey } from './payload-codec';
import { parseSqlitePragmas } from './sqlite-pragmas';

const bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');

/**
 * Every environment variable Keel reads, parsed once at boot. Nothing else reads `process.env`;
 * vendor clients get their keys and URLs from here, explicitly.
 */
const EnvSchema = z.object({
  /** API port. @default 3000 */
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** API bind address. @default 127.0.0.1 (loopback only; set 0.0.0.0 to expose it) */
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Serve the demo tenant (`demo`, with every role). Off unless asked for: `npm start` (the
   * embedded default, EMBEDDED_DEFAULTS) turns it on for its processes; a deployment that runs
   * `npm run server` gets it only with KEEL_DEMO_TENANT=true.
   * @default false
   */
  KEEL_DEMO_TENANT: bool.default(false),
  /**
   * The demo tenant's API key (only with KEEL_DEMO_TENANT=true; never printed). Unset: one is
   * generated and kept in `<KEEL_DATA_DIR>/demo-api-key`.
   */
  KEEL_DEMO_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** An existing Temporal frontend (`host:port`). Unset: `npm start` runs an embedded dev server. */
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port')
    .optional(),
  /** @default default */
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** API key for Temporal Cloud (implies TLS). */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** Use TLS towards Temporal. @default false (true when an API key or client cert is set) */
  TEMPORAL_TLS: bool.optional(),
  /** mTLS client certificate and key (PEM files). */
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  /** Custom CA (PEM) for a self-signed cluster. */
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** @default keel-tasks */
  KEEL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  /** Largest accepted request body in bytes. @default 1048576 (1 MiB) */
  KEEL_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  /**
   * Run a worker inside the API process too, on the API's own connection: workflows it starts are
   * handed to it in the start response (eager start), without a trip through the task queue.
   */
  KEEL_EMBEDDED_WORKER: bool.default(false),
  /**
   * Tasks one API process starts and waits on at once; more are refused at once (503, Retry-After)
   * instead of queueing behind a backlog they would time out in. 0 = no limit.
   */
  KEEL_MAX_INFLIGHT_TASKS: z.coerce.number().int().min(0).max(1_000_000).default(128),
  /**
   * Adaptive load shedding under the ceiling: a sync request is refused (503, Retry-After) when
   * the tasks in flight, at the completion rate measured over the last 10 s, would keep it past
   * this fraction of its task's maxSyncMs (server/admission-limiter.ts). 0 = the ceiling alone.
   */
  KEEL_SHED_WAIT_FRACTION: z.coerce.number().min(0).max(1).default(0.8),
  /** Entries of the per-process result cache (options.cacheTtlMs); 0 turns it off. */
  KEEL_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  /** Where the embedded dev server keeps its SQLite file, the cached CLI and `npm start`'s keys. */
  KEEL_DATA_DIR: z.string().min(1).default('.keel'),
  /** Embedded dev server ports. @default 7233 and 8233 */
  KEEL_TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  KEEL_TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  /**
   * The embedded dev server's SQLite settings, comma-separated `PRAGMA=VALUE` (journal_mode,
   * synchronous), e.g. `journal_mode=wal,synchronous=full` to survive a power loss with every
   * commit. What each setting costs and risks: docs/sqlite-durability.md.
   * @default journal_mode=wal,synchronous=normal (DEFAULT_SQLITE_PRAGMAS, temporal/dev-server.ts)
   */
  KEEL_SQLITE_PRAGMAS: z
    .string()
    .transform((v, ctx) => {
      try {
        return parseSqlitePragmas(v.split(','));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  /** How long a stopping worker waits for in-flight activities. @default 30000 */
  KEEL_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  /**
   * A worker's slots (docs/fairness.md): workflow tasks at once (a task whose model call runs as a
   * local activity holds its slot for the call), activities, local activities. The SDK's defaults.
   */
  KEEL_WORKER_MAX_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).default(40),
  KEEL_WORKER_MAX_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(100),
  KEEL_WORKER_MAX_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Set by `npm start` on its children so they stop when the supervisor is gone. */
  KEEL_PARENT_PID: z.coerce.number().int().min(2).optional(),
  /** JSON config file with providers and the model registry (prices). @default built-in */
  KEEL_CONFIG: z.string().min(1).optional(),
  /** Vendor keys and endpoints, named as the vendors' SDKs name them. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  /**
   * Key for KeelInputKey (HMAC of the input). Required wherever a worker runs (also with
   * KEEL_EMBEDDED_WORKER), the same value on every worker; `npm start` generates one and keeps it
   * in `<KEEL_DATA_DIR>/input-key-secret`.
   */
  KEEL_INPUT_KEY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * The tenant store (tenants, keys, plans, budgets, usage ledger) in PostgreSQL,
   * `postgres://user:password@host:5432/db`. Unset: a SQLite file, `<KEEL_DATA_DIR>/keel.db`.
   */
  KEEL_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected postgres://user:password@host:port/database')
    .optional(),
  /**
   * Redis for what every API process and worker shares: the rate and concurrency limits and the
   * result cache, `redis://host:6379`. Unset: both held in the API process (one API process).
   */
  KEEL_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected redis://host:port')
    .optional(),
  /**
   * A bearer token `GET /metrics` (API and worker) requires: `Authorization: Bearer <token>`.
   * Unset: the metrics are served to anyone who reaches the port (docs/metrics.md).
   */
  KEEL_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * A worker process (`npm run worker`) serves `/metrics` on this port, on HOST. 0 = off. A
   * worker inside the API process needs none: the API's `/metrics` shows it.
   * @default 0
   */
  KEEL_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /**
   * `host:port` where the Temporal SDK's runtime (the Rust core of a worker process or of the
   * API's embedded worker) serves its own Prometheus metrics (`temporal_*`). Unset: off.
   */
  KEEL_TEMPORAL_METRICS_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port')
    .optional(),
  /**
   * Keys of the payload codec (AES-256-GCM, docs/encryption.md), `id:base64key` separated by
   * commas: the first encrypts, all decrypt (rotation). Never in KEEL_CONFIG or the repo. Unset
   * (and no KEEL_PAYLOAD_KEY_FILE): payloads are stored in clear; `npm start` generates a key in
   * `<KEEL_DATA_DIR>/payload-keys`.
   */
  KEEL_PAYLOAD_KEYS: z.string().min(1).optional(),
  /** A file holding the same list (commas or one key a line), instead of KEEL_PAYLOAD_KEYS. */
  KEEL_PAYLOAD_KEY_FILE: z.string().min(1).optional(),
  /**
   * Origins allowed to call the codec server (`/codec/*`) from a browser, comma-separated: the
   * Temporal Web UI's, e.g. `http://127.0.0.1:8233`. `npm start` sets its dev server's UI.
   * @default none (no CORS headers)
   */
  KEEL_CODEC_CORS_ORIGINS: z.string().optional(),
  /** pino level. @default info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

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
  taskQueue: string;
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
  /**
   * KEEL_SHED_WAIT_FRACTION: refuse a sync request whose expected wait (in flight ÷ measured
   * completion rate) is past this fraction of its task's maxSyncMs; 0 = off. @default 0.8
   */
  shedWaitFraction: number;
  dataDir: string;
  /** sqlitePragmas: KEEL_SQLITE_PRAGMAS; unset = the dev server's default. */
  devServer: { port: number; uiPort: number; sqlitePragmas?: string[] };
  shutdownGraceMs: number;
  /** KEEL_WORKER_MAX_*: how much a worker runs at once. */
  workerSlots: { workflowTasks: number; activities: number; localActivities: number };
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
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
   * (KEEL_WORKER_METRICS_PORT, 0 = off); `temporalAddress` (KEEL_TEMPORAL_METRICS_ADDRESS).
   */
  metrics: { token?: string; workerPort: number; temporalAddress?: string };
  /**
   * The payload codec's keys (KEEL_PAYLOAD_KEYS or KEEL_PAYLOAD_KEY_FILE), primary first;
   * undefined = no encryption.
   */
  payloadKeys?: PayloadKey[];
  /** KEEL_CODEC_CORS_ORIGINS: browser origins (the Web UI) allowed to call `/codec/*`. */
  codecCorsOrigins: string[];
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
    maxBodyBytes: e.KEEL_MAX_BODY_BYTES,
    cacheMaxEntries: e.KEEL_CACHE_MAX_ENTRIES,
    embeddedWorker: e.KEEL_EMBEDDED_WORKER,
    maxInflightTasks: e.KEEL_MAX_INFLIGHT_TASKS,
    shedWaitFraction: e.KEEL_SHED_WAIT_FRACTION,
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
    },
    payloadKeys,
    codecCorsOrigins: (e.KEEL_CODEC_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim().replace(/\/$/, ''))
      .filter(Boolean),
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
