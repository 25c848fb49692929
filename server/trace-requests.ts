import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TextMapGetter,
} from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { parseTraceparent } from '../shared/contracts/trace-header';
import { holdRequestTrace } from '../shared/platform/trace-fast';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** How the process samples (KeelConfig['tracing']): which requests can skip the span. */
export interface RequestSampling {
  /** The sampler keeps an unsampled parent's children unsampled (Keel's default, `parentbased_*`). */
  followsParent: boolean;
  /** A request with no `traceparent` is never sampled (Keel's default: OTEL_TRACES_SAMPLER unset). */
  rootUnsampled: boolean;
}

const ZEROS = /^0+$/;

/** Random hex ids from one pooled buffer: 48 ids of 32 digits per refill. */
let pool = Buffer.alloc(0);
let at = 0;
function hexId(bytes: 8 | 16): string {
  if (at + bytes > pool.length) {
    pool = randomBytes(768);
    at = 0;
  }
  const id = pool.toString('hex', at, at + bytes);
  at += bytes;
  return ZEROS.test(id) ? hexId(bytes) : id;
}

/**
 * The span context of a request that will not be sampled, or undefined when it may be: no
 * `traceparent` while the root sampler samples nothing, or an unsampled one while the sampler
 * follows its parent. Such a request gets a span id of its own, recorded nowhere, so its answer's
 * `traceparent` and its log lines still name the trace.
 */
export function unsampledRequest(
  header: string | string[] | undefined,
  sampling: RequestSampling,
): SpanContext | undefined {
  if (!sampling.followsParent) return undefined;
  if (header === undefined) {
    return sampling.rootUnsampled
      ? { traceId: hexId(16), spanId: hexId(8), traceFlags: TraceFlags.NONE }
      : undefined;
  }
  const parent = typeof header === 'string' ? parseTraceparent(header.trim()) : undefined;
  // A malformed or repeated header: the SDK's propagator decides, as it always did.
  if (!parent || parent.traceFlags & TraceFlags.SAMPLED) return undefined;
  return { traceId: parent.traceId, spanId: hexId(8), traceFlags: parent.traceFlags };
}

/** The request's trace context, kept on it between the two middlewares. */
const TRACE_CONTEXT = Symbol('traceContext');
/** An unsampled request's ids, kept on it (no context is entered for it). */
const FAST_IDS = Symbol('fastTraceIds');
type TracedRequest = Request & { [TRACE_CONTEXT]?: Context; [FAST_IDS]?: SpanContext };

/**
 * The ids of a request that entered no OpenTelemetry context (an unsampled one), for log lines
 * written with the request at hand (the exception filter); empty otherwise, where the logger's
 * mixin finds the active span's.
 */
export function requestTraceIds(req: Request): { trace_id?: string; span_id?: string } {
  const ids = (req as TracedRequest)[FAST_IDS];
  return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

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
 *
 * A request that cannot be sampled (`unsampledRequest`: Keel's default, nothing sampled unless
 * the caller's `traceparent` is) makes no span and enters no OpenTelemetry context: its ids are
 * built directly, come back in `traceparent`, and are held by request id for the workflow start's
 * header (shared/platform/trace-fast.ts). What it costs is in docs/traces.md ("Overhead").
 */
export function traceRequests(sampling: RequestSampling): {
  open: RequestHandler;
  enter: RequestHandler;
} {
  const tracer = trace.getTracer('keel');
  return {
    open: (req: Request, res: Response, next: NextFunction) => {
      if (!req.path.startsWith('/v1/')) {
        next();
        return;
      }
      const fast = unsampledRequest(req.headers.traceparent, sampling);
      if (fast) {
        // No OpenTelemetry context for it (shared/platform/trace-fast.ts says why): its ids are
        // held by request id (the `requestId` middleware ran first) until it is answered.
        (req as TracedRequest)[FAST_IDS] = fast;
        const release = holdRequestTrace(String(req.headers['x-request-id']), fast);
        res.once('close', release);
        res.setHeader(
          'traceparent',
          `00-${fast.traceId}-${fast.spanId}-${fast.traceFlags.toString(16).padStart(2, '0')}`,
        );
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
