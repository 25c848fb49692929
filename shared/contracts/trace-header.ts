import type { Headers, Payload } from '@temporalio/common';
import { decode, encode } from '@temporalio/common/lib/encoding';

/**
 * The `_tracer-data` header that carries a trace's context through Temporal (docs/traces.md):
 * what `@temporalio/interceptors-opentelemetry` reads and writes, a JSON payload
 * `{"traceparent": "00-<trace id>-<span id>-<flags>"}`. One definition for Keel's client and
 * activity interceptors (shared/platform/trace-interceptors.ts) and its workflow module
 * (workflows/trace-context.ts): workflow-safe, it imports only types and the SDK's encoding.
 */
export const TRACE_HEADER = '_tracer-data';

/** A W3C trace context as the header carries it. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  /** W3C trace flags (bit 0: sampled). */
  traceFlags: number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** The JSON converter's encoding, as `defaultPayloadConverter` writes it. */
const JSON_ENCODING = encode('json/plain');
/**
 * The platform's UTF-8 decoder where there is one (Node, for the activities, which read the
 * header once each); the SDK's JavaScript one inside the workflow sandbox (once per run).
 */
const utf8: { decode(bytes: Uint8Array): string } =
  typeof TextDecoder === 'function' ? new TextDecoder() : { decode };
/** The header as the package and Keel write it, read without a JSON parse. */
const WRITTEN = /^\{"traceparent":"([^"]*)"\}$/;

function isJsonEncoding(bytes: Uint8Array): boolean {
  if (bytes.length !== JSON_ENCODING.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== JSON_ENCODING[i]) return false;
  return true;
}

/** `headers` plus the header naming `ids`, byte for byte as the package's converter writes it. */
export function withTraceHeader(headers: Headers, ids: TraceParent): Headers {
  const flags = ids.traceFlags.toString(16).padStart(2, '0');
  const traceparent = `00-${ids.traceId}-${ids.spanId}-${flags}`;
  const payload: Payload = {
    metadata: { encoding: JSON_ENCODING },
    data: encode(JSON.stringify({ traceparent })),
  };
  return { ...headers, [TRACE_HEADER]: payload };
}

/** The context the header names, if it is a JSON `{traceparent}` of the W3C form. */
export function readTraceHeader(headers: Headers): TraceParent | undefined {
  const payload = headers[TRACE_HEADER];
  const encoding = payload?.metadata?.encoding;
  if (!payload?.data || !encoding || !isJsonEncoding(encoding)) return undefined;
  const text = utf8.decode(payload.data);
  let traceparent = WRITTEN.exec(text)?.[1] as unknown;
  if (traceparent === undefined) {
    // Another writer's spacing or field order.
    try {
      traceparent = (JSON.parse(text) as { traceparent?: unknown } | null)?.traceparent;
    } catch {
      return undefined;
    }
  }
  return typeof traceparent === 'string' ? parseTraceparent(traceparent) : undefined;
}

const ZEROS = /^0+$/;

/**
 * A W3C `traceparent` of version 00 (the header's and an HTTP request's), or undefined when it is
 * malformed or names the all-zero trace or span id, which the W3C spec says are invalid.
 */
export function parseTraceparent(text: string): TraceParent | undefined {
  const match = TRACEPARENT.exec(text);
  if (!match || ZEROS.test(match[1]!) || ZEROS.test(match[2]!)) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) };
}
