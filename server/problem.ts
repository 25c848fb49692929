import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  GENERIC_PROBLEMS,
  PROBLEM_BASE,
  PROBLEMS,
  type Problem,
  type ProblemSlug,
} from '../shared/contracts/problems';
import type { FieldError } from '../shared/contracts/errors';
import type { Logger } from '../shared/platform/logger';
import { anthropicErrorBody, speaksAnthropic } from './chat/anthropic-errors';
import { openAIErrorBody, speaksOpenAI } from './chat/openai-errors';

export { PROBLEM_BASE };
export type { Problem };

/** Throw from anywhere in the server; the filter renders it as application/problem+json. */
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

export const invalidRequest = (detail: string, errors: FieldError[]): ProblemError =>
  ProblemError.of('invalid-request', detail, { errors });

const SENT = Symbol('problemSent');

/** The slug of the problem `res` carried, if one was sent (the request metrics read it). */
export function sentProblem(res: Response): string | undefined {
  return (res as Response & { [SENT]?: string })[SENT];
}

export function sendProblem(res: Response, req: Request, error: ProblemError): void {
  (res as Response & { [SENT]?: string })[SENT] = error.slug;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  if (speaksOpenAI(req.path)) {
    res.status(error.status).json(openAIErrorBody(error.toProblem(req.originalUrl)));
    return;
  }
  if (speaksAnthropic(req.path)) {
    res.status(error.status).json(anthropicErrorBody(error.toProblem(req.originalUrl)));
    return;
  }
  res
    .status(error.status)
    .type('application/problem+json')
    .send(JSON.stringify(error.toProblem(req.originalUrl)));
}

/** Maps every error to problem+json. Unknown errors become a 500 that reveals nothing. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    sendProblem(res, req, this.toProblemError(exception, req));
  }

  private toProblemError(exception: unknown, req: Request): ProblemError {
    if (exception instanceof ProblemError) {
      // The caller gets the problem; the operator gets what caused it (type, message, stack).
      if (exception.status >= 500 && exception.cause) {
        this.logger.warn(
          { err: exception.cause, requestId: req.headers['x-request-id'], problem: exception.slug },
          'request failed',
        );
      }
      return exception;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const slug = GENERIC_PROBLEMS[status];
      const detail = status === 404 ? `No route for ${req.method} ${req.path}` : exception.message;
      // A status the contract does not name keeps Nest's message as its title.
      return slug
        ? ProblemError.of(slug, detail)
        : new ProblemError(status, 'http-error', exception.message, detail);
    }
    this.logger.error(
      { err: exception, requestId: req.headers['x-request-id'], path: req.path },
      'unhandled error',
    );
    return ProblemError.of('internal');
  }
}
