import type { components } from './openapi.js';

/** RFC 9457 problem details as Keel answers them (`type` is `https://keel.dev/problems/<slug>`). */
export type Problem = components['schemas']['Problem'];
/** One offending field of a problem's `errors[]`. */
export type FieldError = NonNullable<Problem['errors']>[number];

/** Every problem `type` is this base plus a stable slug. */
export const PROBLEM_BASE = 'https://keel.dev/problems/';

/** The slug of a problem's `type` (`rate-limited`), or undefined when it is not Keel's. */
export function problemSlug(problem: { type?: unknown }): string | undefined {
  return typeof problem.type === 'string' && problem.type.startsWith(PROBLEM_BASE)
    ? problem.type.slice(PROBLEM_BASE.length)
    : undefined;
}

/**
 * Any error answered by Keel: the problem as sent, its HTTP status and slug. Subclasses name the
 * kinds a caller handles differently; `isKeelError` recognises one across realms and copies of
 * the package, where `instanceof` may not.
 */
export class KeelError extends Error {
  /** Recognises a KeelError where `instanceof` cannot (see isKeelError). */
  readonly marker = 'KeelError';
  override readonly name: string = 'KeelError';
  readonly problem: Problem;
  readonly status: number;
  /** The stable part of `problem.type`, e.g. `invalid-request`. */
  readonly slug: string | undefined;
  /** The job the problem is about, when Keel names one. */
  readonly jobId: string | undefined;

  constructor(problem: Problem, status: number = problem.status ?? 0) {
    super(problem.detail ?? problem.title ?? `Keel answered ${status}`);
    this.problem = problem;
    this.status = status;
    this.slug = problemSlug(problem);
    this.jobId = problem.jobId;
  }

  /** The offending fields (`errors[]`), empty when the problem names none. */
  get errors(): FieldError[] {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** The request is invalid (a field, the JSON, the size, the media type, a reused key). */
export class ValidationError extends KeelError {
  override readonly name = 'ValidationError';
  /** The offending fields' dotted paths, e.g. `input.body`. */
  get fields(): string[] {
    return this.errors.map((e) => e.field);
  }
}
/** The API key is missing or not valid (401). */
export class AuthError extends KeelError {
  override readonly name = 'AuthError';
}
/**
 * The key may not do this: a missing role, a suspended tenant, a task outside the plan, data the
 * route's models may not see (403).
 */
export class PermissionError extends KeelError {
  override readonly name = 'PermissionError';
}
/**
 * No such task, job, review, batch, tenant, key, webhook or model for this key (404), or no such
 * method on the path (405 `method-not-allowed`, its `Allow` header lists the methods it has).
 */
export class NotFoundError extends KeelError {
  override readonly name = 'NotFoundError';
}
/** The resource's state forbids it: already decided, already ended, exists, superseded (409). */
export class ConflictError extends KeelError {
  override readonly name = 'ConflictError';
}
/** A limit of the tenant or key is reached; nothing started. */
export class RateLimitedError extends KeelError {
  override readonly name = 'RateLimitedError';
  constructor(
    problem: Problem,
    status: number,
    /** From `Retry-After`, when the answer had one. */
    readonly retryAfterMs?: number,
  ) {
    super(problem, status);
  }
}
/** Keel cannot take the request now (overloaded, Temporal or the tenant store down); retry later. */
export class UnavailableError extends KeelError {
  override readonly name = 'UnavailableError';
  constructor(
    problem: Problem,
    status: number,
    /** From `Retry-After`, when the answer had one. */
    readonly retryAfterMs?: number,
  ) {
    super(problem, status);
  }
}
/** The tenant's monthly budget is spent (before starting, or in the job). */
export class BudgetExceededError extends KeelError {
  override readonly name = 'BudgetExceededError';
}
/**
 * The job ran and ended without an answer: refused by moderation or a rule or a reviewer, every
 * candidate failed, it timed out. The same class whether the answer came at once or after a wait.
 */
export class JobFailedError extends KeelError {
  override readonly name: string = 'JobFailedError';
}
/** The job was cancelled before it finished. */
export class JobCancelledError extends JobFailedError {
  override readonly name = 'JobCancelledError';
}

type ProblemClass = new (problem: Problem, status: number, retryAfterMs?: number) => KeelError;

/** The class of each slug Keel answers (shared/contracts/problems.ts on the server). */
const BY_SLUG: Readonly<Record<string, ProblemClass>> = {
  'invalid-request': ValidationError,
  'malformed-json': ValidationError,
  'invalid-route': ValidationError,
  'payload-too-large': ValidationError,
  'unsupported-media-type': ValidationError,
  'too-many-items': ValidationError,
  'idempotency-key-reused': ValidationError,
  'invalid-edit': ValidationError,
  'webhook-url-refused': ValidationError,
  unauthorized: AuthError,
  forbidden: PermissionError,
  'tenant-suspended': PermissionError,
  'task-not-in-plan': PermissionError,
  'policy-denied': PermissionError,
  'not-found': NotFoundError,
  'method-not-allowed': NotFoundError,
  'unknown-task': NotFoundError,
  'job-not-found': NotFoundError,
  'batch-not-found': NotFoundError,
  'experiment-not-found': NotFoundError,
  'review-not-found': NotFoundError,
  'tenant-not-found': NotFoundError,
  'key-not-found': NotFoundError,
  'webhook-not-found': NotFoundError,
  'delivery-not-found': NotFoundError,
  'model-not-found': NotFoundError,
  'tenant-exists': ConflictError,
  'tenant-not-suspended': ConflictError,
  'tenant-data-keys-off': ConflictError,
  'batch-ended': ConflictError,
  'job-ended': ConflictError,
  'already-decided': ConflictError,
  'review-closed': ConflictError,
  superseded: ConflictError,
  'webhook-limit-reached': ConflictError,
  'delivery-in-progress': ConflictError,
  'rate-limited': RateLimitedError,
  'too-many-auth-failures': RateLimitedError,
  overloaded: UnavailableError,
  'temporal-unavailable': UnavailableError,
  'tenant-store-unavailable': UnavailableError,
  'too-many-streams': UnavailableError,
  'not-ready': UnavailableError,
  'budget-exceeded': BudgetExceededError,
  'input-rejected': JobFailedError,
  'output-rejected': JobFailedError,
  'review-rejected': JobFailedError,
  'review-expired': JobFailedError,
  'all-candidates-failed': JobFailedError,
  'stream-interrupted': JobFailedError,
  'task-failed': JobFailedError,
  'task-timed-out': JobFailedError,
  'task-cancelled': JobCancelledError,
  'review-failed': KeelError,
  internal: KeelError,
};

/** The problem slugs this client maps to a class of their own. */
export const KNOWN_PROBLEM_SLUGS: readonly string[] = Object.keys(BY_SLUG);

/** For a slug this client does not know (a newer server): the class of its status. */
const BY_STATUS: Readonly<Record<number, ProblemClass>> = {
  400: ValidationError,
  401: AuthError,
  402: BudgetExceededError,
  403: PermissionError,
  404: NotFoundError,
  409: ConflictError,
  413: ValidationError,
  415: ValidationError,
  429: RateLimitedError,
  503: UnavailableError,
};

/** The named error for a problem; `retryAfterMs` from the answer's `Retry-After`. */
export function errorFromProblem(
  problem: Problem,
  status: number = problem.status ?? 0,
  retryAfterMs?: number,
): KeelError {
  const slug = problemSlug(problem);
  const Class =
    (slug !== undefined && Object.hasOwn(BY_SLUG, slug) ? BY_SLUG[slug] : undefined) ??
    BY_STATUS[status] ??
    KeelError;
  return new Class(problem, status, retryAfterMs);
}

/** Whether `err` is a KeelError, from this copy of the package or another. */
export function isKeelError(err: unknown): err is KeelError {
  return (err as { marker?: unknown } | null)?.marker === 'KeelError';
}

/** Keel could not be reached (network error, no answer in time) after the retries allowed. */
export class KeelConnectionError extends Error {
  override readonly name: string = 'KeelConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
/** No answer within `timeoutMs`. */
export class KeelTimeoutError extends KeelConnectionError {
  override readonly name = 'KeelTimeoutError';
}
