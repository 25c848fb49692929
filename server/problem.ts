import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { GENERIC_PROBLEMS, PROBLEM_BASE, type Problem } from '../shared/contracts/problems';
import type { z } from 'zod';
import { toFieldErrors, type FieldError } from '../shared/contracts/errors';
import { ProblemError } from '../shared/contracts/problem-error';
import type { Logger } from '../shared/platform/logger';
import { anthropicErrorBody, speaksAnthropic } from './chat/anthropic-errors';
import { requestTraceIds } from './trace-requests';
import { openAIErrorBody, speaksOpenAI } from './chat/openai-errors';

export { PROBLEM_BASE };
export type { Problem };
export { ProblemError };

export const invalidRequest = (detail: string, errors: FieldError[]): ProblemError =>
  ProblemError.of('invalid-request', detail, { errors });

const SENT = Symbol('problemSent');

/** The slug of the problem `res` carried, if one was sent (the request metrics read it). */
/** `value` parsed by `schema`, or a 400 naming each offending field (`query.x` for a query). */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  throw invalidRequest(
    `The ${where} is not valid.`,
    parsed.error.issues.flatMap((issue) =>
      // An unknown field is named itself, not its parent.
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => ({
            field: [where === 'query' ? 'query' : '', ...issue.path.map(String), k]
              .filter(Boolean)
              .join('.'),
            message: 'unknown field',
          }))
        : toFieldErrors([issue], where === 'query' ? 'query' : undefined),
    ),
  );
}

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
  constructor(
    private readonly logger: Logger,
    /** The methods the app's routes have on a path (server/route-methods.ts): 405 or 404. */
    private readonly methodsAt: (path: string) => readonly string[] = () => [],
  ) {}

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
          {
            err: exception.cause,
            requestId: req.headers['x-request-id'],
            problem: exception.slug,
            ...requestTraceIds(req),
          },
          'request failed',
        );
      }
      return exception;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) {
        // A path with routes, none for this method: 405 and the methods it has (RFC 9110).
        const allow = this.methodsAt(req.path);
        if (allow.length > 0 && !allow.includes(req.method)) {
          return ProblemError.of(
            'method-not-allowed',
            `${req.path} has no ${req.method}; it answers ${allow.join(', ')}.`,
            {},
            { headers: { Allow: allow.join(', ') } },
          );
        }
      }
      const slug = GENERIC_PROBLEMS[status];
      const detail = status === 404 ? `No route for ${req.method} ${req.path}` : exception.message;
      // A status the contract does not name keeps Nest's message as its title.
      return slug
        ? ProblemError.of(slug, detail)
        : new ProblemError(status, 'http-error', exception.message, detail);
    }
    this.logger.error(
      {
        err: exception,
        requestId: req.headers['x-request-id'],
        path: req.path,
        ...requestTraceIds(req),
      },
      'unhandled error',
    );
    return ProblemError.of('internal');
  }
}
