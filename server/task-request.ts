import { z } from 'zod';
import { TaskOptions, type RunTaskRequest } from '../shared/contracts/job';
import { toFieldErrors } from '../shared/contracts/errors';
import { findServedTask, type AnyTaskDefinition } from '../shared/tasks';
import { longInputSchema } from '../shared/tasks/long-document';
import { invalidRequest, ProblemError } from './problem';
import type { Tenant } from '../shared/tenancy/directory';

/** The body of `POST /v1/tasks/{task}`; `input` is checked against the task's own schema next. */
export const RunTaskBody = z
  .object({
    input: z.unknown().refine((v) => v !== undefined, 'required'),
    options: TaskOptions.optional(),
  })
  .strict();

/** The task a URL names; 404 when there is none. */
export function requireTask(name: string): AnyTaskDefinition {
  const task = findServedTask(name);
  if (!task) throw ProblemError.of('unknown-task', `There is no task "${name}".`);
  return task;
}

/**
 * The wire contract of `POST /v1/tasks/{task}`, checked before anything starts: the task exists,
 * the body is `{input, options?}`, the input matches the task's schema and the options theirs
 * (all shared zod schemas). A 400 names each offending field; garbage never becomes a job.
 * Whether the request may run, and how, is admission's (`shared/policy/admission.ts`), decided
 * once in the workflow: this decides no policy.
 */
export function parseTaskRequest(args: {
  tenant: Tenant;
  taskName: string;
  body: unknown;
  requestId: string;
}): { task: AnyTaskDefinition; request: RunTaskRequest } {
  const task = requireTask(args.taskName);
  const body = RunTaskBody.safeParse(args.body);
  if (!body.success)
    throw invalidRequest(
      'The body must be {"input": {...}, "options"?: {...}}.',
      toFieldErrors(body.error.issues),
    );
  // A task that takes long documents accepts texts past one call's limit (docs/long-documents.md).
  const input = (longInputSchema(task.name) ?? task.input).safeParse(body.data.input);
  if (!input.success) {
    throw invalidRequest(
      `The input does not match the "${task.name}" schema.`,
      toFieldErrors(input.error.issues, 'input'),
    );
  }
  return {
    task,
    request: {
      task: task.name,
      tenantId: args.tenant.id,
      requestId: args.requestId,
      input: input.data,
      options: body.data.options ?? {},
    },
  };
}
