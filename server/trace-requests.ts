import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The request's trace context, kept on it between the two middlewares. */
const TRACE_CONTEXT = Symbol('traceContext');
type TracedRequest = Request & { [TRACE_CONTEXT]?: Context };

const headerGetter: TextMapGetter<Request> = {
  keys: (req) => Object.keys(req.headers),
  get: (req, key) => req.headers[key],
};

/**
 * One SERVER span per API request (`/v1/...`), installed only when tracing is on
 * (docs/traces.md). `open` comes first: it continues the caller's `traceparent` (W3C), starts
 * the span and answers with the request's own `traceparent`, so a caller without a trace still
 * learns where to look. `enter`, after the body parser (whose stream callbacks lose the async
 * context), runs the rest of the request inside the span: workflow starts (Temporal's client
 * interceptor) and log lines (`trace_id`) hang under it. The span is named by the route
 * (`POST /v1/tasks/:task`), never the raw URL, and records no header, query or body.
 */
export function traceRequests(): { open: RequestHandler; enter: RequestHandler } {
  const tracer = trace.getTracer('keel');
  return {
    open: (req: Request, res: Response, next: NextFunction) => {
      if (!req.path.startsWith('/v1/')) {
        next();
        return;
      }
      const parent = propagation.extract(ROOT_CONTEXT, req, headerGetter);
      const span = tracer.startSpan(
        req.method,
        {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': req.method, 'url.scheme': req.protocol },
        },
        parent,
      );
      const active = trace.setSpan(parent, span);
      (req as TracedRequest)[TRACE_CONTEXT] = active;
      const carrier: Record<string, string> = {};
      propagation.inject(active, carrier);
      if (carrier.traceparent) res.setHeader('traceparent', carrier.traceparent);
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        // Express sets `req.route` when a handler matched: its pattern, not the concrete path.
        const route = (req.route as { path?: unknown } | undefined)?.path;
        const name =
          typeof route === 'string' ? `${req.method} ${req.baseUrl}${route}` : req.method;
        span.updateName(name);
        if (typeof route === 'string') span.setAttribute('http.route', `${req.baseUrl}${route}`);
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        // A client gone before its answer: the span ends at the hang-up.
        if (!res.writableFinished) span.setAttribute('keel.client_aborted', true);
        span.end();
      };
      res.once('finish', end);
      res.once('close', end);
      next();
    },
    enter: (req: Request, _res: Response, next: NextFunction) => {
      const active = (req as TracedRequest)[TRACE_CONTEXT];
      if (active) context.with(active, next);
      else next();
    },
  };
}
