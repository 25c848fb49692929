import { PROBLEM_BASE, PROBLEMS, type Problem, type ProblemSlug } from './problems';

/**
 * A problem to answer, thrown anywhere outside workflows: the API's filter renders it as
 * application/problem+json (server/problem.ts); the worker's Nexus handler as the operation's
 * failure. Status and title come from the contract table.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extras: Partial<Problem> = {},
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(detail ?? title, options);
  }

  /**
   * The problem `slug` names in the contract table (status and title from there). `detail`
   * defaults to the table's; `extras` are extension members, `headers` response headers, and
   * `cause` what the operator's log shows for a 5xx.
   */
  static of(
    slug: ProblemSlug,
    detail?: string,
    extras: Partial<Problem> = {},
    init: { headers?: Record<string, string>; cause?: unknown } = {},
  ): ProblemError {
    const spec = PROBLEMS[slug];
    return new ProblemError(
      spec.status,
      slug,
      spec.title,
      detail ?? spec.detail,
      extras,
      init.headers,
      'cause' in init ? { cause: init.cause } : undefined,
    );
  }

  toProblem(instance?: string): Problem {
    return {
      type: `${PROBLEM_BASE}${this.slug}`,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...this.extras,
    };
  }
}
