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
  /** Model output failed the output schema. */
  InvalidOutput: 'InvalidOutput',
  /** Every route candidate failed; the failure's details list why. */
  AllCandidatesFailed: 'AllCandidatesFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export const NON_RETRYABLE_FAILURES: readonly FailureType[] = [
  FailureType.InvalidInput,
  FailureType.UnknownTask,
  FailureType.UnknownProvider,
  FailureType.InvalidOutput,
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
