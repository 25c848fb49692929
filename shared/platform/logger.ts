import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { activityTrace } from './trace-fast';
import pino, { type Logger } from 'pino';
import { detectPii, maskPii } from '../guards/pii';
import type { PiiType } from '../guards/types';
import { transformStrings } from '../guards/json-strings';

/**
 * Paths that may carry user content or secrets. Logs get ids, task names, timings and outcomes;
 * never prompts, inputs, outputs or keys.
 */
const REDACT = [
  'input',
  'output',
  'prompt',
  '*.input',
  '*.output',
  '*.prompt',
  'authorization',
  'apiKey',
  '*.apiKey',
  'headers.authorization',
  'req.headers.authorization',
];

/**
 * Masked in every log line. Not IP addresses (operators need infrastructure addresses; client IPs
 * are never logged) nor the heuristic names and addresses (too many false hits on log text).
 */
const LOG_MASKED: readonly PiiType[] = ['email', 'phone', 'credit-card', 'iban', 'ssn', 'secret'];

/**
 * Longer strings are cut before they are masked: the detectors' time grows with the text, and a
 * log line is no place for a document. @see bench/log-masking.ts
 */
export const MAX_LOGGED_CHARS = 64 * 1024;

/** `text` cut at `max`, or just before a value the cut would split (its prefix kept). */
function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  const from = Math.max(0, max - 256);
  let at = max;
  for (const s of detectPii(text.slice(from, max + 256), { types: LOG_MASKED }))
    if (from + s.start < at && from + s.end > at) at = from + s.start;
  return `${text.slice(0, at)}… [${text.length - at} more characters not logged]`;
}

/**
 * `text` as a log line holds it: cut at `maxChars` (never through a value) and its e-mails,
 * phones, cards, IBANs, SSNs and secrets replaced by their labels (`[EMAIL]`, …). The detectors
 * run on every string a line writes; no result is kept between lines. Debug samples
 * (docs/debug-samples.md) keep prompts and answers through the same function.
 */
export function maskForLog(text: string, maxChars = MAX_LOGGED_CHARS): string {
  const kept = bounded(text, maxChars);
  return maskPii(kept, detectPii(kept, { types: LOG_MASKED }));
}
const mask = (text: string): string => maskForLog(text);

/** Native errors of any realm (workflow sandboxes, `vm`), subclasses included. */
const isError = (value: unknown): value is Error =>
  value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';

/**
 * A log object as plain JSON, before masking: an error becomes its type, message, stack, own
 * fields, `cause` and `errors` (an `Error` has no enumerable keys: as-is it would print `{}`);
 * bytes become their length (they may hold encoded payloads); `toJSON` is honoured (dates);
 * a cycle becomes `[Circular]`.
 */
function plainForLog(value: unknown, ancestors: object[] = []): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer)
    return `[${value.byteLength} bytes]`;
  const inner = [...ancestors, value];
  if (isError(value)) return plainError(value, inner);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return plainForLog(toJSON.call(value), inner);
  if (Array.isArray(value)) return value.map((v) => plainForLog(v, inner));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainForLog(v, inner)]));
}

/**
 * `err.name` stays 'Error' in a subclass that does not set it (the class name does not), and in
 * a copy that crossed a thread (the SDK's workflow threads), whose stack still starts with it.
 */
function errorType(err: Error): string {
  if (err.name && err.name !== 'Error') return err.name;
  const className = (err.constructor as { name?: unknown } | undefined)?.name;
  if (typeof className === 'string' && className && className !== 'Error') return className;
  return /^(\w+)(?::|\n|$)/.exec(err.stack ?? '')?.[1] ?? 'Error';
}

function plainError(err: Error, ancestors: object[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: errorType(err),
    message: err.message,
    stack: err.stack,
  };
  // Own fields (`code`, `status`, a failure's `details`); a field named like one above is skipped.
  for (const [k, v] of Object.entries(err))
    if (!(k in out) && k !== 'name') out[k] = plainForLog(v, ancestors);
  // Both are non-enumerable when set by the constructor (`new Error(m, { cause })`, AggregateError).
  if (err.cause !== undefined) out.cause = plainForLog(err.cause, ancestors);
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors)) out.errors = plainForLog(errors, ancestors);
  return out;
}

/** Every string of a log object with its PII masked. */
const maskLogObject = (object: Record<string, unknown>): Record<string, unknown> =>
  transformStrings(plainForLog(object), mask) as Record<string, unknown>;

/**
 * The active span's ids (OpenTelemetry's log field names), so a log line leads to its trace: the
 * OpenTelemetry context's, else an unsampled trace's inside an activity (./trace-fast.ts);
 * nothing outside either.
 */
export function traceIds(): { trace_id?: string; span_id?: string } {
  const ids = trace.getSpan(context.active())?.spanContext() ?? activityTrace();
  return ids && isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

export function createLogger(options: {
  name: string;
  level?: string;
  /** Where lines go. @default stdout */
  destination?: pino.DestinationStream;
  /** Add `trace_id` and `span_id` to each line logged inside a span (tracing on). @default false */
  traceIds?: boolean;
}): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    // Second line of defence: whatever slips into a log line (an error message quoting a
    // customer, a key in a URL) has its PII masked irreversibly: `[EMAIL]`, `[CARD]`, `[SECRET]`.
    // The formatter runs before pino's serializers, so it turns errors into JSON itself.
    formatters: { log: maskLogObject },
    serializers: {
      err: (value: unknown) => value,
      // The final message, after `%s`/`%j` interpolation or taken from an error's message.
      msg: (value: unknown) => (typeof value === 'string' ? mask(value) : value),
    },
    base: { service: 'keel', component: options.name },
    ...(options.traceIds ? { mixin: traceIds } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export type { Logger };
