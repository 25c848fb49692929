import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../contracts/messages';
import { parseSqlitePragmas } from './sqlite-pragmas';

const bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');

/**
 * Every environment variable Keel reads, parsed once at boot. Nothing else reads `process.env`;
 * vendor clients get their keys and URLs from here, explicitly.
 */
export const EnvSchema = z.object({
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
  /**
   * The queue of work no caller waits for (tasks with `maxSyncMs: 0`, batches): its own worker
   * slots, so a tenant's backlog never holds up sync requests (docs/fairness.md).
   * @default `<KEEL_TASK_QUEUE>-background`
   */
  KEEL_BACKGROUND_TASK_QUEUE: z.string().min(1).optional(),
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
   * Failed authentications one client address may make in a minute before every keyed request
   * from it is refused (429) until the minute ends; per API process. 0 = no limit.
   */
  KEEL_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(60),
  /**
   * Adaptive load shedding under the ceiling: a sync request is refused (503, Retry-After) when
   * the tasks in flight, at the completion rate measured over the last 10 s, would keep it past
   * this fraction of its task's maxSyncMs (server/admission-limiter.ts). 0 = the ceiling alone.
   */
  KEEL_SHED_WAIT_FRACTION: z.coerce.number().min(0).max(1).default(0.8),
  /**
   * Items of one batch running at once (child `runTask` workflows); a plan's `concurrentTasks`
   * limit lowers it for that tenant's batches (docs/batches.md). @default 16
   */
  KEEL_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
  /** Items a batch workflow run starts before it continues as new. @default 500 */
  KEEL_BATCH_ITEMS_PER_RUN: z.coerce.number().int().min(10).max(5_000).default(500),
  /** Event streams (`GET /v1/jobs/{id}/events`) one API process holds open; more get 503. */
  KEEL_SSE_MAX_STREAMS: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** A comment line on every open event stream this often, so proxies keep it open. */
  KEEL_SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** How often the API reads the event log for events other processes wrote. */
  KEEL_EVENT_POLL_MS: z.coerce.number().int().min(10).max(10_000).default(250),
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
  /**
   * The same for the background queue's worker: few workflow-task slots, because a background
   * task's model call (a local activity) holds one for the call, and those slots are what bounds
   * how much CPU a backlog takes from sync work. @default 16, 100, 16
   */
  KEEL_WORKER_BACKGROUND_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).default(16),
  KEEL_WORKER_BACKGROUND_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(100),
  KEEL_WORKER_BACKGROUND_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(16),
  /**
   * Which queues a worker process polls: `all`, `interactive` (sync work only) or `background`;
   * scale each out with processes of its own. @default all
   */
  KEEL_WORKER_QUEUES: z.enum(['all', 'interactive', 'background']).default('all'),
  /**
   * Requests of one tenant between admission and their workflow's start at once, per API process;
   * the tenant's others wait their turn (server/tenant-shares.ts, docs/fairness.md). 0 = no limit.
   * @default 2
   */
  KEEL_TENANT_ADMISSIONS: z.coerce.number().int().min(0).max(10_000).default(2),
  /** How often the retention schedule runs (docs/governance.md#retention). @default 86400000 (a day) */
  KEEL_RETENTION_EVERY_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(2_678_400_000)
    .default(86_400_000),
  /**
   * Drift detection (docs/drift.md): observations in a series' baseline (its first ones) and in
   * its recent window, the fewest values a metric is judged on, and how often (every N
   * observations of a series, per worker process) a series is evaluated. @default 200, 200, 50, 20
   */
  KEEL_DRIFT_BASELINE: z.coerce.number().int().min(10).max(100_000).default(200),
  KEEL_DRIFT_WINDOW: z.coerce.number().int().min(10).max(100_000).default(200),
  KEEL_DRIFT_MIN_SAMPLES: z.coerce.number().int().min(5).max(100_000).default(50),
  KEEL_DRIFT_EVALUATE_EVERY: z.coerce.number().int().min(1).max(100_000).default(20),
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
   * Label a few counters (requests, refusals, cost, fallbacks, degradations) by tenant id as
   * well. A cardinality risk: one series per tenant and label set; off unless the operator turns
   * it on (docs/metrics.md).
   * @default false
   */
  KEEL_METRICS_TENANT_LABEL: bool.default(false),
  /**
   * Every API and worker process writes the metrics the operator dashboard draws to the tenant
   * store this often, so any API's dashboard sums the whole deployment (docs/dashboard.md). A row
   * not rewritten for 3 intervals is left out. 0 = this process does not share its metrics.
   * @default 5000
   */
  KEEL_METRICS_SHARE_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
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
   * The claim check (docs/claim-check.md): a payload larger than this many bytes (after
   * encryption) is kept in the blob store and the history holds a reference. 0 = off. 16 KiB: a
   * long document's child jobs get pieces of up to 100,000 characters, ~27 KB once compressed,
   * and the parent's history holds all their inputs (docs/claim-check.md).
   * @default 16384
   */
  KEEL_CLAIM_CHECK_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 * 1024 * 1024)
    .default(16 * 1024),
  /**
   * How many workflows' tenants each process remembers for per-tenant data keys
   * (docs/encryption.md#which-tenant-a-payload-belongs-to): least recently used out; a workflow
   * it forgot is looked up in Temporal when it next encodes for it. ~100 bytes each.
   * @default 100000
   */
  KEEL_TENANT_BINDINGS_MAX: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  /**
   * The claim check's blob directory; every API and worker process must see the same one.
   * @default <KEEL_DATA_DIR>/blobs
   */
  KEEL_BLOB_DIR: z.string().min(1).optional(),
  /**
   * Origins allowed to call the codec server (`/codec/*`) from a browser, comma-separated: the
   * Temporal Web UI's, e.g. `http://127.0.0.1:8233`. `npm start` sets its dev server's UI.
   * @default none (no CORS headers)
   */
  KEEL_CODEC_CORS_ORIGINS: z.string().optional(),
  /**
   * Let webhooks go to loopback, private, link-local and unique-local addresses (IPv4 and IPv6,
   * names resolving there included): receivers on the operator's own network. Off, such a URL is
   * refused when saved (400) and at every delivery (docs/webhooks.md).
   * @default false
   */
  KEEL_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /**
   * A failed webhook delivery's first retry waits this long; each next one twice as long, up to
   * an hour, for 24 h. Tests set it low. @default 5000
   */
  KEEL_WEBHOOK_RETRY_INITIAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  /**
   * Nexus endpoints and the tenant each one runs Keel's tasks for, comma-separated
   * `endpoint=tenant` pairs (e.g. `keel=demo,keel-acme=acme`; Temporal endpoint names are
   * letters, digits and `-`). A Nexus caller sends no API key:
   * the endpoint it goes through, which only the Temporal operator can create, names the tenant
   * (docs/nexus.md). An endpoint not listed here is refused. `npm start` sets `keel=demo` when
   * the demo tenant is on.
   * @default none
   */
  KEEL_NEXUS_ENDPOINTS: z
    .string()
    .regex(
      /^\s*([A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]=[^,=\s]+)(\s*,\s*[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]=[^,=\s]+)*\s*$/,
      'expected endpoint=tenant pairs, comma-separated',
    )
    .optional(),
  /**
   * OpenTelemetry tracing (docs/traces.md) is on when either of these is set (and
   * OTEL_TRACES_EXPORTER is not `none`, OTEL_SDK_DISABLED not `true`); off, no span is made and
   * the request path does no tracing work. The OTLP exporter reads the rest of its `OTEL_*`
   * variables itself (headers, timeout, the traces-only endpoint), the SDK `OTEL_TRACES_SAMPLER`.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  /** `otlp` (OTLP over HTTP/protobuf), `console` (spans on stdout, for a look) or `none`. */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  /** Only `http/protobuf` is shipped; another value stops the boot rather than tracing nowhere. */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.literal('http/protobuf').optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.literal('http/protobuf').optional(),
  /**
   * The SDK's sampler (`parentbased_always_on`, `parentbased_traceidratio` with
   * OTEL_TRACES_SAMPLER_ARG, …). Unset, Keel samples nothing of its own: a request is recorded
   * when its caller's `traceparent` is sampled (docs/traces.md#sampling).
   * @default Keel's parent-based, always off
   */
  OTEL_TRACES_SAMPLER: z.string().min(1).optional(),
  /** The service name on every span. @default keel */
  OTEL_SERVICE_NAME: z.string().min(1).default('keel'),
  OTEL_SDK_DISABLED: bool.default(false),
  /** pino level. @default info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Env = z.infer<typeof EnvSchema>;
