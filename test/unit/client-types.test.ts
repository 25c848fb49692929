import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  errorFromProblem,
  JobCancelledError,
  JobFailedError,
  KNOWN_PROBLEM_SLUGS,
  NotFoundError,
  RateLimitedError,
  TASK_NAMES,
  ValidationError,
} from '../../clients/typescript/src/index';
import { PROBLEM_BASE, PROBLEMS, type ProblemSlug } from '../../shared/contracts/problems';
import { TASKS } from '../../shared/tasks';
import { CLIENT_TYPES_PATH, clientTypes, OPENAPI_PATH } from '../support/client-types';

/**
 * The TypeScript client (clients/typescript) against the server's contract: its types are the
 * committed OpenAPI document's, it knows every task, and every problem maps to a named error.
 */
describe('the TypeScript client and the contract', () => {
  it('its committed types are those of openapi.json (else: npm run client:types)', async () => {
    const fresh = await clientTypes(readFileSync(OPENAPI_PATH, 'utf8'));
    expect(readFileSync(CLIENT_TYPES_PATH, 'utf8') === fresh, 'run `npm run client:types`').toBe(
      true,
    );
  });

  it('has a method for every task the server serves', () => {
    expect([...TASK_NAMES].sort()).toEqual(Object.keys(TASKS).sort());
  });

  it('maps every problem slug the server answers to a class chosen for it', () => {
    expect(Object.keys(PROBLEMS).filter((slug) => !KNOWN_PROBLEM_SLUGS.includes(slug))).toEqual([]);
    const cls = (slug: ProblemSlug) =>
      errorFromProblem({ type: `${PROBLEM_BASE}${slug}`, title: 't', status: 0 }).constructor;
    expect(cls('invalid-request')).toBe(ValidationError);
    expect(cls('rate-limited')).toBe(RateLimitedError);
    expect(cls('job-not-found')).toBe(NotFoundError);
    expect(cls('already-decided')).toBe(ConflictError);
    expect(cls('output-rejected')).toBe(JobFailedError);
    expect(cls('all-candidates-failed')).toBe(JobFailedError);
    expect(cls('task-cancelled')).toBe(JobCancelledError);
  });
});
