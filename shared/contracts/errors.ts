/**
 * Stable failure types that cross the workflow/activity/server boundary as
 * `ApplicationFailure.type`. Recognised by this string, never by `instanceof` (workflows run in
 * another realm).
 */
export const FailureType = {
  /** Input does not match the task's schema. Non-retryable. */
  InvalidInput: 'InvalidInput',
  /** The task name is not registered on the worker. Non-retryable. */
  UnknownTask: 'UnknownTask',
  /** The route names a provider this deployment does not have. Non-retryable. */
  UnknownProvider: 'UnknownProvider',
  /** The input was refused by moderation policy (injection, PII, toxicity). 422. */
  InputRejected: 'InputRejected',
  /** An answer broke a rule whose action is `reject`. 422 with the violations. */
  OutputRejected: 'OutputRejected',
  /** A reviewer rejected the answer. 422. */
  ReviewRejected: 'ReviewRejected',
  /** Both review deadlines passed and the policy says reject. 504-ish: reported as 422. */
  ReviewExpired: 'ReviewExpired',
  /** A decision for a task already decided. 409. */
  ReviewAlreadyDecided: 'ReviewAlreadyDecided',
  /** A decision after the review's last deadline passed: the review is closed. 409. */
  ReviewClosed: 'ReviewClosed',
  /** A decision for a task not waiting for one (or another tenant's). 404. */
  ReviewNotPending: 'ReviewNotPending',
  /** An edited output that fails the schema or a rule. 422; the task keeps waiting. */
  ReviewEditInvalid: 'ReviewEditInvalid',
  /** Every route candidate failed; the failure's details list why. */
  AllCandidatesFailed: 'AllCandidatesFailed',
  /** The route names a model the registry does not have. Non-retryable. */
  UnknownModel: 'UnknownModel',
  /**
   * A streamed answer broke after its first text reached the caller: no other candidate can take
   * over unseen, so the task ends (the chat endpoint's error event). Non-retryable.
   */
  StreamInterrupted: 'StreamInterrupted',

  // Vendor call failures, classified at the activity boundary.
  /** 429. Retryable, after the vendor's Retry-After when it sends one. */
  RateLimit: 'RateLimit',
  /** 529 / overloaded_error. Retryable. */
  Overloaded: 'Overloaded',
  /** 5xx, 408, 409. Retryable. */
  ServerError: 'ServerError',
  /** No answer within the call's timeout. Retryable. */
  Timeout: 'Timeout',
  /** Connection refused, reset, DNS. Retryable. */
  Connection: 'Connection',
  /** 400 / 422 the vendor will repeat. Non-retryable. */
  BadRequest: 'BadRequest',
  /** The prompt does not fit the model. Non-retryable (a bigger model might). */
  ContextLength: 'ContextLength',
  /** 401 / 403. Non-retryable. */
  Auth: 'Auth',
  /** 404: the vendor does not know the model. Non-retryable. */
  NotFound: 'NotFound',
  /** The vendor refused on content policy. Non-retryable. */
  ContentFilter: 'ContentFilter',
  /** Billing quota exhausted (OpenAI insufficient_quota). Non-retryable. */
  QuotaExceeded: 'QuotaExceeded',
  /** The provider/model's circuit is open: no call was made. Non-retryable. */
  CircuitOpen: 'CircuitOpen',
  /** The call would pass the tenant's monthly budget: no call was made. Non-retryable. */
  BudgetExceeded: 'BudgetExceeded',
  /** No candidate of the route may see the request's data class or region. 403, before any call. */
  PolicyDenied: 'PolicyDenied',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export const NON_RETRYABLE_FAILURES: readonly FailureType[] = [
  FailureType.InvalidInput,
  FailureType.UnknownTask,
  FailureType.UnknownProvider,
  FailureType.UnknownModel,
  FailureType.InputRejected,
  FailureType.OutputRejected,
  FailureType.BadRequest,
  FailureType.ContextLength,
  FailureType.Auth,
  FailureType.NotFound,
  FailureType.ContentFilter,
  FailureType.QuotaExceeded,
  FailureType.CircuitOpen,
  FailureType.BudgetExceeded,
  FailureType.StreamInterrupted,
  FailureType.PolicyDenied,
];

/** Failures that say something about the provider's health (they feed the circuit breaker). */
export const PROVIDER_FAULTS: readonly FailureType[] = [
  FailureType.ServerError,
  FailureType.Overloaded,
  FailureType.Timeout,
  FailureType.Connection,
];

/** A field-level problem, as the HTTP API reports it (`errors[]` in problem+json). */
export interface FieldError {
  /** JSON pointer-ish dotted path, e.g. `input.body`. */
  field: string;
  message: string;
}

/** Turns zod issues into field errors, prefixing each path (e.g. with `input`). */
export function toFieldErrors(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  prefix?: string,
): FieldError[] {
  return issues.map((issue) => {
    const parts = [prefix, ...issue.path.map(String)].filter((p): p is string => !!p);
    return { field: parts.join('.') || '(root)', message: issue.message };
  });
}
