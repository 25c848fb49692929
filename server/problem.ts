import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { FieldError } from '../shared/errors';
import type { Logger } from '../shared/runtime/logger';

export const PROBLEM_BASE = 'https://keel.dev/problems/';

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
  new ProblemError(400, 'invalid-request', 'Invalid request', detail, { errors });

export function sendProblem(res: Response, req: Request, error: ProblemError): void {
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res
    .status(error.status)
    .type('application/problem+json')
    .send(JSON.stringify(error.toProblem(req.originalUrl)));
}

const SLUG_BY_STATUS: Record<number, [string, string]> = {
  400: ['invalid-request', 'Invalid request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
};

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
      const [slug, title] = SLUG_BY_STATUS[status] ?? ['http-error', exception.message];
      const detail = status === 404 ? `No route for ${req.method} ${req.path}` : exception.message;
      return new ProblemError(status, slug, title, detail);
    }
    this.logger.error(
      { err: exception, requestId: req.headers['x-request-id'], path: req.path },
      'unhandled error',
    );
    return new ProblemError(
      500,
      'internal',
      'Internal error',
      'An unexpected error occurred; quote the x-request-id header when reporting it.',
    );
  }
}
