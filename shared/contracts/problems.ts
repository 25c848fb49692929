import { FailureType, type FieldError } from './errors';

/** Every problem's `type` is this base plus its slug (RFC 9457 problem details). */
export const PROBLEM_BASE = 'https://keel.dev/problems/';

/** One problem the HTTP API can answer: its status, its title, and when it is answered. */
export interface ProblemSpec {
  status: number;
  title: string;
  /** When the API answers it (documentation: the OpenAPI document and docs/http-contract.md). */
  when: string;
  /** The `detail` when the caller is not told anything more specific. */
  detail?: string;
}

/**
 * Every problem the HTTP API answers, keyed by its slug (the stable part of `type`). The server
 * builds its problems from this table and the OpenAPI generator documents them from it: a new
 * problem is added here, once.
 */
const TABLE = {
  'invalid-request': {
    status: 400,
    title: 'Invalid request',
    when: 'The body, a query parameter or a header is invalid; `errors[]` names the fields.',
  },
  'malformed-json': {
    status: 400,
    title: 'Malformed JSON',
    when: 'The body is not valid JSON.',
    detail: 'The body is not valid JSON.',
  },
  'invalid-route': {
    status: 400,
    title: 'Invalid route',
    when: '`options.route` names a provider or model this deployment does not have.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    when: 'The API key is missing or not valid (with `WWW-Authenticate: Bearer`).',
  },
  'too-many-auth-failures': {
    status: 429,
    title: 'Too many failed authentications',
    when: 'This client address failed to authenticate KEEL_AUTH_FAILURES_PER_MINUTE times this minute; every keyed request from it is refused until `Retry-After` says.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    when: 'The API key lacks the role the route needs, or names another tenant where only the platform operator may (`errors[]` names the field).',
  },
  'tenant-suspended': {
    status: 403,
    title: 'Tenant suspended',
    when: 'The key’s tenant is suspended by the platform operator; nothing runs until it is reactivated.',
    detail: 'This tenant is suspended.',
  },
  'task-not-in-plan': {
    status: 403,
    title: 'Task not in plan',
    when: 'The tenant’s plan does not include this task (`plan`).',
  },
  'budget-exceeded': {
    status: 402,
    title: 'Budget exceeded',
    when: 'The tenant’s monthly budget is spent and its plan rejects past it (`budget`); nothing started. In a job: a model call would have passed the budget.',
  },
  'not-found': { status: 404, title: 'Not found', when: 'No route for this path.' },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    when: 'The path has routes, but not for this method; `Allow` lists the methods it has.',
  },
  'tenant-not-found': {
    status: 404,
    title: 'Tenant not found',
    when: 'No tenant with this id that this key may see (another tenant is not found either).',
  },
  'key-not-found': {
    status: 404,
    title: 'Key not found',
    when: 'No API key with this id in this tenant.',
  },
  'tenant-not-suspended': {
    status: 409,
    title: 'Tenant not suspended',
    when: 'An erasure needs the tenant suspended first, so nothing new starts while it is erased.',
  },
  'tenant-exists': {
    status: 409,
    title: 'Tenant exists',
    when: 'A tenant with this id exists already (`errors[]` names `id`); nothing changed.',
  },
  'webhook-not-found': {
    status: 404,
    title: 'Webhook not found',
    when: 'No webhook endpoint with this id that this key may see (another tenant’s is not found either).',
  },
  'delivery-not-found': {
    status: 404,
    title: 'Delivery not found',
    when: 'No delivery with this id for this webhook endpoint.',
  },
  'webhook-url-refused': {
    status: 400,
    title: 'Webhook URL refused',
    when: 'The URL is not http(s), carries credentials, or is or resolves to a loopback, private, link-local or unique-local address while the operator does not allow them (KEEL_WEBHOOK_ALLOW_PRIVATE); `errors[]` names `url`.',
  },
  'webhook-limit-reached': {
    status: 409,
    title: 'Too many webhooks',
    when: 'The tenant has its maximum of webhook endpoints (`limit`); delete one first.',
  },
  'delivery-in-progress': {
    status: 409,
    title: 'Delivery in progress',
    when: 'The delivery is still pending (being attempted or waiting for its next retry); redeliver once it has ended.',
    detail: 'This delivery is still being attempted.',
  },
  'unknown-task': { status: 404, title: 'Unknown task', when: 'No task has this name.' },
  'job-not-found': {
    status: 404,
    title: 'Job not found',
    when: 'No job with this id for this tenant (another tenant’s job is not found either).',
  },
  'batch-not-found': {
    status: 404,
    title: 'Batch not found',
    when: 'No batch with this id for this tenant (another tenant’s batch is not found either).',
  },
  'experiment-not-found': {
    status: 404,
    title: 'Experiment not found',
    when: 'No experiment with this id that this key may see (another tenant’s is not found either).',
  },
  'batch-ended': {
    status: 409,
    title: 'Batch ended',
    when: 'The batch has already ended (completed or cancelled): there is nothing to cancel; `batchStatus` says how it ended.',
  },
  'too-many-items': {
    status: 413,
    title: 'Too many items',
    when: 'A batch over its limit (`limit`): 1,000 items in a JSON body, 100,000 lines (256 MiB) in a JSONL upload; nothing was started. `errors[]` names `items`.',
  },
  'review-not-found': {
    status: 404,
    title: 'Review not found',
    when: 'No review with this id waits for a decision for this tenant.',
  },
  'task-cancelled': {
    status: 409,
    title: 'Task cancelled',
    when: 'The task was cancelled or terminated before it finished.',
    detail: 'The task was cancelled before it finished.',
  },
  superseded: {
    status: 409,
    title: 'Superseded',
    when: 'A later request with the same `options.debounce.key` arrived within its window; only the latest runs. Nothing was started for this one.',
    detail: 'A later request with the same debounce key replaced this one.',
  },
  'already-decided': {
    status: 409,
    title: 'Already decided',
    when: 'The review was already decided.',
    detail: 'This review was already decided.',
  },
  'review-closed': {
    status: 409,
    title: 'Review closed',
    when: 'The review’s last deadline passed; the task no longer takes decisions.',
    detail: 'The review deadline has passed; the task no longer takes decisions.',
  },
  'tenant-data-keys-off': {
    status: 409,
    title: 'Tenant data keys are off',
    when: 'The deployment does not encrypt payloads under per-tenant data keys: it has no payload keys (KEEL_PAYLOAD_KEYS or KEEL_PAYLOAD_KEY_FILE), or `encryption.tenantDataKeys` is false in KEEL_CONFIG. There is no tenant key to rotate.',
    detail:
      'This deployment does not use per-tenant data keys: they need payload keys (KEEL_PAYLOAD_KEYS or KEEL_PAYLOAD_KEY_FILE) and `encryption.tenantDataKeys` left on in KEEL_CONFIG.',
  },
  'job-ended': {
    status: 409,
    title: 'Job ended',
    when: 'The job has already ended (completed, failed, cancelled or timed out): there is nothing to cancel; `status` says how it ended.',
  },
  'too-many-streams': {
    status: 503,
    title: 'Too many event streams',
    when: 'This API process holds its limit of open event streams (`KEEL_SSE_MAX_STREAMS`); retry after `Retry-After` or poll the job.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    when: 'The body is over the deployment’s limit (`limitBytes`).',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    when: 'The body is not sent as application/json.',
    detail: 'Send the body as application/json.',
  },
  'policy-denied': {
    status: 403,
    title: 'Refused by the data policy',
    when: 'No candidate of the route may see this request: its data class (`dataClass`, declared or raised by what screening found) needs a model attribute or region none of them has (`rule`); nothing was called.',
  },
  'input-rejected': {
    status: 422,
    title: 'Input refused by policy',
    when: 'Moderation refused the input (injection, PII, toxicity); `errors[]` says why.',
  },
  'output-rejected': {
    status: 422,
    title: 'The answer broke a rule',
    when: 'The answer broke a rule whose action is reject; `errors[]` lists the violations.',
    detail: 'The model’s answer broke a business rule whose action is reject.',
  },
  'review-rejected': {
    status: 422,
    title: 'Rejected by a reviewer',
    when: 'A reviewer rejected the answer (`reviewer`, `comment`).',
    detail: 'A reviewer rejected the answer.',
  },
  'review-expired': {
    status: 422,
    title: 'Review deadline passed',
    when: 'No reviewer decided before the deadlines, and the policy rejects the task.',
    detail: 'No reviewer decided before the deadlines, and the policy rejects the task.',
  },
  'invalid-edit': {
    status: 422,
    title: 'The edited output is not valid',
    when: 'An edited output fails the schema or a rule; `errors[]` lists them. The task keeps waiting.',
    detail: 'Fix the fields listed in errors[]; the task is still waiting for a decision.',
  },
  'idempotency-key-reused': {
    status: 422,
    title: 'Idempotency-Key reused',
    when: 'The Idempotency-Key was used before for a different request.',
    detail: 'This Idempotency-Key was used for a different request.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    when: 'An unexpected error; the response reveals nothing, the log has the cause.',
    detail: 'An unexpected error occurred; quote the x-request-id header when reporting it.',
  },
  'task-failed': {
    status: 500,
    title: 'Task failed',
    when: 'The task failed for a reason no other problem names.',
  },
  'review-failed': {
    status: 500,
    title: 'Review failed',
    when: 'The decision could not be recorded; retrying is safe.',
    detail: 'The decision could not be recorded; retry.',
  },
  'all-candidates-failed': {
    status: 502,
    title: 'No model produced a valid answer',
    when: 'Every route candidate failed, and no degraded answer was allowed or available (`reasons`).',
  },
  'stream-interrupted': {
    status: 502,
    title: 'The stream broke after it started',
    when: 'A streamed chat answer failed after its first text reached the caller (`/v1/chat/completions`, sent as an error event): no fallback can take over unseen.',
  },
  'model-not-found': {
    status: 404,
    title: 'Unknown model',
    when: "The `model` of a chat completion is neither an alias of the key's plan nor a configured `provider:model` (`GET /v1/models` lists them).",
  },
  'rate-limited': {
    status: 429,
    title: 'Rate limited',
    when: 'A request, token or concurrency limit of the tenant or the key is reached (`limit`, `scope`); `Retry-After`, `RateLimit-Policy` and `RateLimit` say when; nothing started.',
  },
  overloaded: {
    status: 503,
    title: 'Too many tasks in flight',
    when: 'The deployment runs KEEL_MAX_INFLIGHT_TASKS tasks already, or those running would keep a sync request past most of its maxSyncMs (`limit`; `Retry-After` from the measured drain rate); nothing started.',
  },
  'temporal-unavailable': {
    status: 503,
    title: 'Service unavailable',
    when: 'Temporal did not take the task; nothing was started (`Retry-After: 5`).',
    detail: 'The task could not be started; retry shortly.',
  },
  'tenant-store-unavailable': {
    status: 503,
    title: 'Tenant store unavailable',
    when: 'The key could not be checked: the tenant store (KEEL_DATABASE_URL) did not answer (`Retry-After: 5`); nothing started.',
    detail: 'The API key could not be checked; retry shortly.',
  },
  'not-ready': {
    status: 503,
    title: 'Not ready',
    when: 'Temporal is unreachable or no worker polls the task queue (`checks`).',
    detail: 'Keel cannot serve tasks yet.',
  },
  'task-timed-out': {
    status: 504,
    title: 'Task timed out',
    when: 'The task exceeded its hard timeout.',
    detail: 'The task exceeded its hard timeout.',
  },
} as const satisfies Record<string, ProblemSpec>;
export type ProblemSlug = keyof typeof TABLE;
/** The table, typed for lookups by slug. */
export const PROBLEMS: Readonly<Record<ProblemSlug, ProblemSpec>> = TABLE;

/**
 * The problem a failure becomes when it reaches a caller (a failed job, a refused review
 * decision). Vendor call failures are retried and fall back inside the task; one that still ends
 * it is a `task-failed`, and a task whose every candidate failed is `all-candidates-failed`.
 */
export const FAILURE_PROBLEMS = {
  [FailureType.InvalidInput]: 'invalid-request',
  [FailureType.UnknownTask]: 'task-failed',
  [FailureType.UnknownProvider]: 'invalid-route',
  [FailureType.UnknownModel]: 'invalid-route',
  [FailureType.InputRejected]: 'input-rejected',
  [FailureType.PolicyDenied]: 'policy-denied',
  [FailureType.OutputRejected]: 'output-rejected',
  [FailureType.ReviewRejected]: 'review-rejected',
  [FailureType.ReviewExpired]: 'review-expired',
  [FailureType.ReviewAlreadyDecided]: 'already-decided',
  [FailureType.ReviewClosed]: 'review-closed',
  [FailureType.ReviewNotPending]: 'review-not-found',
  [FailureType.ReviewEditInvalid]: 'invalid-edit',
  [FailureType.AllCandidatesFailed]: 'all-candidates-failed',
  [FailureType.StreamInterrupted]: 'stream-interrupted',
  [FailureType.RateLimit]: 'task-failed',
  [FailureType.Overloaded]: 'task-failed',
  [FailureType.ServerError]: 'task-failed',
  [FailureType.Timeout]: 'task-failed',
  [FailureType.Connection]: 'task-failed',
  [FailureType.BadRequest]: 'task-failed',
  [FailureType.ContextLength]: 'task-failed',
  [FailureType.Auth]: 'task-failed',
  [FailureType.NotFound]: 'task-failed',
  [FailureType.ContentFilter]: 'task-failed',
  [FailureType.QuotaExceeded]: 'task-failed',
  [FailureType.CircuitOpen]: 'task-failed',
  [FailureType.BudgetExceeded]: 'budget-exceeded',
} as const satisfies Record<FailureType, ProblemSlug>;

/** The problem for an `ApplicationFailure.type`; `task-failed` for a type Keel does not know. */
export function problemSlugForFailure(type: string | undefined | null): ProblemSlug {
  return (FAILURE_PROBLEMS as Record<string, ProblemSlug>)[type ?? ''] ?? 'task-failed';
}

/** The slug of a status Nest answered by itself (no route, a bad body before Keel saw it). */
export const GENERIC_PROBLEMS: Readonly<Record<number, ProblemSlug>> = {
  400: 'invalid-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
};

/** RFC 9457 problem details, plus Keel's `errors[]` naming offending fields. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}
