export { Keel, type KeelOptions } from './client.js';
export {
  AuthError,
  BudgetExceededError,
  ConflictError,
  errorFromProblem,
  isKeelError,
  JobCancelledError,
  JobFailedError,
  KeelConnectionError,
  KeelError,
  KeelTimeoutError,
  KNOWN_PROBLEM_SLUGS,
  NotFoundError,
  PermissionError,
  PROBLEM_BASE,
  problemSlug,
  RateLimitedError,
  UnavailableError,
  ValidationError,
  type FieldError,
  type Problem,
} from './errors.js';
export { Jobs, type WaitOptions } from './jobs.js';
export { Admin, ApiKeys, Plans, Tenants } from './admin.js';
export {
  Batches,
  Reviews,
  Usage,
  type BatchAccepted,
  type BatchRequest,
  type BatchResultLine,
} from './resources.js';
export { parseRetryAfter } from './retry.js';
export { readSse, SseParser, type SseEvent } from './sse.js';
export { TASK_NAMES, type TaskCallOptions, type TaskMethods, type Tasks } from './tasks.js';
export type { RequestOptions } from './transport.js';
export type {
  CancelledJob,
  Job,
  JobEvent,
  JobStatus,
  ResultMeta,
  TaskInput,
  TaskName,
  TaskOutput,
  TaskResult,
  TaskRunOptions,
} from './types.js';
export type { components, paths } from './openapi.js';
