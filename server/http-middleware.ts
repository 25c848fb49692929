import { randomUUID } from 'node:crypto';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { recordTaskRequest } from '../shared/platform/metrics';
import type { AuthedRequest } from './auth.guard';
import { ProblemError, sendProblem, sentProblem } from './problem';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** When the request reached the API (`performance.now()`), for `x-keel-overhead-ms`. */
const RECEIVED_AT = Symbol('receivedAt');

/** Milliseconds since the request reached the API. */
export function elapsedMs(req: Request): number {
  const at = (req as Request & { [RECEIVED_AT]?: number })[RECEIVED_AT];
  return at === undefined ? 0 : performance.now() - at;
}

/** Every response carries `x-request-id`: the caller's when it is sane, else a fresh one. */
export function requestId(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    (req as Request & { [RECEIVED_AT]?: number })[RECEIVED_AT] = performance.now();
    const incoming = req.header('x-request-id');
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.headers['x-request-id'] = id;
    res.setHeader('x-request-id', id);
    next();
  };
}

const TASK_PATH = /^\/v1\/tasks\/([^/]+)\/?$/;

/**
 * Counts every answer of `POST /v1/tasks/{task}` (keel_requests_total, its duration, and the
 * refusals among them by problem and plan) once it is sent, whatever answered it: the routes,
 * the exception filter or a middleware. Installed after `requestId` (its clock).
 */
export function taskMetrics(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const task = req.method === 'POST' ? TASK_PATH.exec(req.path)?.[1] : undefined;
    if (task !== undefined) {
      res.once('finish', () =>
        recordTaskRequest({
          task: decodeURIComponentSafe(task),
          status: res.statusCode,
          seconds: elapsedMs(req) / 1_000,
          refusal: sentProblem(res),
          plan: (req as Partial<AuthedRequest>).tenant?.terms?.planId,
          tenant: (req as Partial<AuthedRequest>).tenant?.id,
        }),
      );
    }
    next();
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/**
 * JSON bodies up to `limitBytes`. Body errors become problem+json here, because they happen
 * before Nest's routing and filters see the request.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: true, type: () => true });
  return (req: Request, res: Response, next: NextFunction) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'];
    if (!hasBody || req.method === 'GET' || req.method === 'HEAD') return next();
    // A batch's JSONL upload is read as a stream by its route (server/batch-lines.ts).
    if (req.path === '/v1/batches' && req.is(['application/x-ndjson', 'application/jsonl']))
      return next();
    if (!req.is('application/json') && !req.is('application/*+json')) {
      return sendProblem(res, req, ProblemError.of('unsupported-media-type'));
    }
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as BodyParserError;
      if (e.type === 'entity.too.large') {
        return sendProblem(
          res,
          req,
          ProblemError.of(
            'payload-too-large',
            `The body exceeds the limit of ${limitBytes} bytes.`,
            { limitBytes },
          ),
        );
      }
      if (e.type === 'entity.parse.failed') {
        return sendProblem(
          res,
          req,
          ProblemError.of('malformed-json', undefined, {
            errors: [{ field: '(body)', message: 'not valid JSON' }],
          }),
        );
      }
      return sendProblem(
        res,
        req,
        // 415: a charset or Content-Encoding the parser does not know; else the body was cut short.
        ProblemError.of(
          e.status === 415 ? 'unsupported-media-type' : 'invalid-request',
          'The body could not be read.',
        ),
      );
    });
  };
}
