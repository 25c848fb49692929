import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Issue, ResultMeta } from '../contracts/job';
import type { BreakerStateName } from '../policy/breaker';
import { findTask } from '../tasks';
import { breakerStateValue, pathEvent, ruleLabel } from './metric-labels';

/**
 * Keel's Prometheus metrics: one registry per process, every metric defined here and nowhere
 * else, and one small `record*` function per event so that each site counts in one line. The API
 * serves the registry at `GET /metrics`; a worker process on KEEL_WORKER_METRICS_PORT. A worker
 * embedded in the API process (KEEL_EMBEDDED_WORKER) writes to the same registry, so the API's
 * `/metrics` shows its model calls too. Docs: docs/metrics.md.
 *
 * Labels are bounded on purpose: task names are the registry's (anything else is `unknown`),
 * providers and models come from the configuration, plans from the tenant store's plan table,
 * statuses are HTTP codes, outcomes are failure types, rules and reasons fixed lists
 * (./metric-labels.ts). Never a key id, job id or input; a tenant id only on the few counters
 * marked below, and only when the operator turns it on (KEEL_METRICS_TENANT_LABEL).
 */
export const registry = new Registry();

let tenantLabel = false;
/** KEEL_METRICS_TENANT_LABEL: add `tenant` to the counters that take it. Set once at boot. */
export function labelByTenant(on: boolean): void {
  tenantLabel = on;
}
/** The `tenant` label when the operator turned it on (`none`: no tenant known), else nothing. */
function tenantOf(id: string | undefined): { tenant?: string } {
  return tenantLabel ? { tenant: id ?? 'none' } : {};
}

/** A label for a task name taken from a URL: the task's name if Keel knows it, else `unknown`. */
export function taskLabel(name: string): string {
  return findTask(name) ? name : 'unknown';
}

const requests = new Counter({
  name: 'keel_requests_total',
  help: 'POST /v1/tasks/{task} answers, by task and HTTP status code (and tenant, when turned on).',
  labelNames: ['task', 'status', 'tenant'] as const,
  registers: [registry],
});

const requestSeconds = new Histogram({
  name: 'keel_request_duration_seconds',
  help: 'Time from a POST /v1/tasks/{task} request reaching the API to its response, by task and status.',
  labelNames: ['task', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** The problems that mean "not admitted" (the request was well formed and authenticated). */
export const ADMISSION_REFUSALS: ReadonlySet<string> = new Set([
  'task-not-in-plan',
  'budget-exceeded',
  'rate-limited',
  'overloaded',
  'tenant-suspended',
  'tenant-store-unavailable',
]);

const refusals = new Counter({
  name: 'keel_admission_refusals_total',
  help: 'POST /v1/tasks/{task} requests refused, by problem slug and the tenant plan (none: no plan known).',
  labelNames: ['reason', 'plan', 'tenant'] as const,
  registers: [registry],
});

const budgetThresholds = new Counter({
  name: 'keel_budget_threshold_events_total',
  help: "A tenant's monthly spend crossed a share (0.8, 1) of its budget, by plan and threshold.",
  labelNames: ['plan', 'threshold'] as const,
  registers: [registry],
});

const modelCalls = new Counter({
  name: 'keel_model_calls_total',
  help: 'Model calls that reached a provider, by provider, model and outcome (ok, cancelled or the failure type).',
  labelNames: ['provider', 'model', 'outcome'] as const,
  registers: [registry],
});

const modelSeconds = new Histogram({
  name: 'keel_model_call_duration_seconds',
  help: 'Time a provider took to answer (or fail) one model call.',
  labelNames: ['provider', 'model'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
  registers: [registry],
});

const modelFirstToken = new Histogram({
  name: 'keel_model_time_to_first_token_seconds',
  help: 'Streamed model calls: time from the request to the first text delta.',
  labelNames: ['provider', 'model'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
  registers: [registry],
});

const modelTokens = new Counter({
  name: 'keel_model_tokens_total',
  help: 'Tokens the providers reported (failed calls they bill included), by direction: input or output.',
  labelNames: ['provider', 'model', 'direction'] as const,
  registers: [registry],
});

const modelCost = new Counter({
  name: 'keel_model_cost_usd_total',
  help: 'Cost of the reported tokens at the configured prices, in USD (by tenant too, when turned on).',
  labelNames: ['provider', 'model', 'tenant'] as const,
  registers: [registry],
});

const cacheHits = new Counter({
  name: 'keel_cache_hits_total',
  help: 'Answers served from the result cache without a workflow, by task.',
  labelNames: ['task'] as const,
  registers: [registry],
});

const validationFailures = new Counter({
  name: 'keel_validation_failures_total',
  help: 'Model answers a validation layer failed (the first failing layer), by task, layer (schema, rules, grounding or moderation) and rule (the first broken one; schema, or other when unknown).',
  labelNames: ['task', 'layer', 'rule'] as const,
  registers: [registry],
});

const fallbacks = new Counter({
  name: 'keel_fallbacks_total',
  help: "Answers from a route's later candidate, by task and reason (what stopped the first candidate).",
  labelNames: ['task', 'reason', 'tenant'] as const,
  registers: [registry],
});

const degradations = new Counter({
  name: 'keel_degradations_total',
  help: 'Answers from a downgrade (last good answer, deterministic fallback, a person, or the proposal after a review deadline), by task and reason (what made the route give up).',
  labelNames: ['task', 'reason', 'tenant'] as const,
  registers: [registry],
});

const breakerState = new Gauge({
  name: 'keel_breaker_state',
  help: 'Circuit breaker state of a provider/model as this process last read its shared entity: 0 closed, 1 half-open, 2 open. Only provider/models this process has read.',
  labelNames: ['provider', 'model'] as const,
  registers: [registry],
});

const driftAlerts = new Counter({
  name: 'keel_drift_alerts_total',
  help: 'Drift alerts raised (docs/drift.md), by task, provider, model and metric; counted once across replicas, by the process that raised it.',
  labelNames: ['task', 'provider', 'model', 'metric'] as const,
  registers: [registry],
});

const evaluations = new Counter({
  name: 'keel_evaluations_total',
  help: 'Live answers evaluated by sampling (docs/evaluation.md), by task, model (provider:model) and verdict: faithful, unfaithful, unsafe (wins over the other two) or error (no verifier verdict).',
  labelNames: ['task', 'model', 'verdict'] as const,
  registers: [registry],
});

let driftFiring: (() => Promise<Record<string, number>>) | undefined;
const driftFiringGauge = new Gauge({
  name: 'keel_drift_alerts_firing',
  help: 'Drift alerts firing now across the deployment (read from the tenant store at each scrape), by metric.',
  labelNames: ['metric'] as const,
  registers: [registry],
  async collect() {
    if (!driftFiring) return;
    const counts = await driftFiring().catch(() => undefined);
    if (!counts) return;
    driftFiringGauge.reset();
    for (const [metric, n] of Object.entries(counts)) driftFiringGauge.set({ metric }, n);
  },
});

let inFlight: (() => number) | undefined;
new Gauge({
  name: 'keel_tasks_in_flight',
  help: 'Tasks running on the task queue as this API process counts them for load shedding (0 with KEEL_MAX_INFLIGHT_TASKS=0).',
  registers: [registry],
  collect() {
    this.set(inFlight?.() ?? 0);
  },
});

/** A count of tasks awaiting review is reused this long: a scrape never queues behind visibility. */
export const AWAITING_REVIEW_CACHE_MS = 5_000;
let awaitingReview: (() => Promise<number>) | undefined;
let awaitingRead: { at: number; value: Promise<number | undefined> } | undefined;
new Gauge({
  name: 'keel_tasks_awaiting_review',
  help: 'Tasks held for a human review decision across the deployment (Temporal visibility, read at most every 5 s by the API; 0 in a worker process).',
  registers: [registry],
  async collect() {
    if (!awaitingReview) return;
    const now = Date.now();
    if (!awaitingRead || now - awaitingRead.at >= AWAITING_REVIEW_CACHE_MS) {
      const read = awaitingReview;
      awaitingRead = { at: now, value: read().catch(() => undefined) };
    }
    const n = await awaitingRead.value;
    if (n !== undefined) this.set(n);
  },
});

/** One answer of `POST /v1/tasks/{task}`; `refusal` is the problem slug when one was sent. */
export function recordTaskRequest(r: {
  task: string;
  status: number;
  seconds: number;
  refusal?: string;
  plan?: string;
  tenant?: string;
}): void {
  const labels = { task: taskLabel(r.task), status: String(r.status) };
  requests.inc({ ...labels, ...tenantOf(r.tenant) });
  requestSeconds.observe(labels, r.seconds);
  if (r.refusal && ADMISSION_REFUSALS.has(r.refusal))
    refusals.inc({ reason: r.refusal, plan: r.plan ?? 'none', ...tenantOf(r.tenant) });
}

/** A budget threshold crossed (`threshold` 0.8 or 1). */
export function recordBudgetThreshold(plan: string | undefined, threshold: number): void {
  budgetThresholds.inc({ plan: plan ?? 'unknown', threshold: String(threshold) });
}

/** One model call that reached its provider, ended in `outcome`, with the usage it billed. */
export function recordModelCall(c: {
  provider: string;
  model: string;
  outcome: string;
  seconds: number;
  usage?: { inputTokens: number; outputTokens: number };
  costUsd?: number;
  /** The billed tenant: a label on the cost only, and only with KEEL_METRICS_TENANT_LABEL. */
  tenant?: string;
}): void {
  const model = { provider: c.provider, model: c.model };
  modelCalls.inc({ ...model, outcome: c.outcome });
  modelSeconds.observe(model, c.seconds);
  if (c.usage) {
    modelTokens.inc({ ...model, direction: 'input' }, c.usage.inputTokens);
    modelTokens.inc({ ...model, direction: 'output' }, c.usage.outputTokens);
  }
  if (c.costUsd) modelCost.inc({ ...model, ...tenantOf(c.tenant) }, c.costUsd);
}

/** A streamed call's first text delta arrived `seconds` after its request. */
export function recordFirstToken(c: { provider: string; model: string; seconds: number }): void {
  modelFirstToken.observe({ provider: c.provider, model: c.model }, c.seconds);
}

export function recordCacheHit(task: string): void {
  cacheHits.inc({ task: taskLabel(task) });
}

/** A model answer failed validation at `layer` (the first failing one) with these issues. */
export function recordValidationFailure(
  task: string,
  layer: string,
  issues: readonly Issue[] = [],
): void {
  validationFailures.inc({ task: taskLabel(task), layer, rule: ruleLabel(task, layer, issues) });
}

/** A recorded answer: counted when it took a fallback or a degraded path, by why. */
export function recordAnswerPath(
  task: string,
  tenant: string,
  meta: Pick<ResultMeta, 'path' | 'provider' | 'model' | 'reasons' | 'reasonCodes'>,
): void {
  const event = pathEvent(meta);
  if (!event) return;
  const labels = { task: taskLabel(task), reason: event.reason, ...tenantOf(tenant) };
  (event.kind === 'fallback' ? fallbacks : degradations).inc(labels);
}

/** What a ProviderHealth read of a provider/model's shared breaker entity said. */
export function recordBreakerState(provider: string, model: string, state: BreakerStateName): void {
  breakerState.set({ provider, model }, breakerStateValue(state));
}

/** A drift alert raised for a series' metric (the prompt version stays out: unbounded). */
export function recordDriftAlert(a: {
  task: string;
  provider: string;
  model: string;
  metric: string;
}): void {
  driftAlerts.inc({
    task: taskLabel(a.task),
    provider: a.provider,
    model: a.model,
    metric: a.metric,
  });
}

/** One sampled evaluation (the prompt version and tenant stay out: unbounded). */
export function recordEvaluation(e: {
  task: string;
  model: string;
  verdict: 'faithful' | 'unfaithful' | 'unsafe' | 'error';
}): void {
  evaluations.inc({ task: taskLabel(e.task), model: e.model, verdict: e.verdict });
}

/** What `keel_drift_alerts_firing` reads at each scrape (the tenant store's alert rows). */
export function trackDriftFiring(counts: () => Promise<Record<string, number>>): void {
  driftFiring = counts;
}

/** What `keel_tasks_awaiting_review` counts (cached AWAITING_REVIEW_CACHE_MS; the API's reviews). */
export function trackTasksAwaitingReview(count: () => Promise<number>): void {
  awaitingReview = count;
  awaitingRead = undefined;
}

/** What `keel_tasks_in_flight` reads at each scrape (the API's RunningTasks). */
export function trackTasksInFlight(count: () => number): void {
  inFlight = count;
}

let defaults = false;
/** Node's process metrics (CPU, memory, event loop lag, GC), prefixed `keel_`. Idempotent. */
export function collectProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ register: registry, prefix: 'keel_' });
}

/** The exposition: its content type and the text. */
export async function scrape(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Whether an `Authorization` header may read the metrics: always without a token
 * (KEEL_METRICS_TOKEN unset), else only `Bearer <token>` (compared in constant time).
 */
export function metricsAuthorized(header: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/**
 * A worker process's `/metrics` listener (KEEL_WORKER_METRICS_PORT): the same registry, the same
 * token. Resolves once it listens.
 */
export async function serveMetrics(opts: {
  port: number;
  host: string;
  token?: string;
}): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!metricsAuthorized(req.headers.authorization, opts.token)) {
      res
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="keel"' })
        .end('unauthorized\n');
      return;
    }
    scrape().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}
