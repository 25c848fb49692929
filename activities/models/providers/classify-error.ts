import { ApplicationFailure } from '@temporalio/common';
import { FailureType, NON_RETRYABLE_FAILURES } from '../../../shared/contracts/errors';
import { parseRetryAfter, type HeaderBag } from '../../../shared/policy/retry-after';
import type { ModelUsage } from './model-provider';

/** What a failed call leaves behind, in the failure's details (no vendor text: it may echo input). */
export interface CallFailureDetails {
  provider: string;
  model: string;
  status?: number;
  vendorCode?: string;
  requestId?: string;
  retryAfterMs?: number;
  /** Tokens the vendor bills for this failed call (e.g. a content-filtered completion). */
  billedUsage?: ModelUsage;
  /** What that usage costs at the model's price (set by callModel). */
  billedCostUsd?: number;
  /** How long that attempt waited on the provider (set by callModel). */
  providerMs?: number;
  /** The activity attempt that failed last (set by callModel). */
  attempt?: number;
  /** Earlier attempts cut off mid-call, charged by this one (set by callModel). */
  interruptedCalls?: number;
  /** Their worst case, an upper bound of what the vendor billed (set by callModel). */
  interruptedCostUsd?: number;
}

/** The duck type of both vendor SDKs' APIError family. */
interface VendorErrorLike {
  name?: string;
  status?: number;
  headers?: HeaderBag;
  requestID?: string | null;
  code?: string | null;
  type?: string | null;
  error?: { type?: string; code?: string; error?: { type?: string } } | null;
}

/** A failure the provider adapters raise themselves (content filter on a 200, ...). */
export class ProviderFailure extends Error {
  override readonly name = 'ProviderFailure';
  constructor(
    readonly type: FailureType,
    message: string,
    readonly details: Partial<CallFailureDetails> = {},
  ) {
    super(message);
  }
}

function vendorCode(err: VendorErrorLike): string | undefined {
  return (
    err.code ??
    err.error?.code ??
    err.error?.error?.type ??
    err.error?.type ??
    err.type ??
    undefined
  );
}

/** Classifies by status and vendor code first, then by the SDKs' connection error names. */
export function classifyStatus(
  status: number | undefined,
  code: string | undefined,
  name = '',
): FailureType {
  if (name.includes('Timeout') || name === 'APIUserAbortError' || name === 'AbortError')
    return FailureType.Timeout;
  if (status === undefined) return FailureType.Connection;
  if (code === 'insufficient_quota') return FailureType.QuotaExceeded;
  if (code === 'context_length_exceeded') return FailureType.ContextLength;
  if (code === 'content_policy_violation' || code === 'content_filter')
    return FailureType.ContentFilter;
  if (status === 429) return FailureType.RateLimit;
  if (status === 529 || code === 'overloaded_error') return FailureType.Overloaded;
  if (status === 408) return FailureType.Timeout;
  if (status === 409 || status >= 500) return FailureType.ServerError;
  if (status === 401 || status === 403) return FailureType.Auth;
  if (status === 404) return FailureType.NotFound;
  return FailureType.BadRequest;
}

/** Backoff base and cap when the vendor names no delay. */
export const BACKOFF = { baseMs: 250, maxMs: 5_000 } as const;

/**
 * Exponential backoff with full jitter (AWS's "full jitter"): uniform in [0, base × 2^(n-1)],
 * capped. Temporal's own backoff has no jitter, so the activity sets nextRetryDelay itself:
 * many workers failing together must not retry together.
 */
export function jitteredBackoffMs(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(random() * ceiling));
}

/** The vendor SDKs leave `name` as "Error"; their class names say what happened. */
function errorName(err: unknown): string {
  if (!(err instanceof Error)) return '';
  if (err.name && err.name !== 'Error') return err.name; // AbortError, TypeError, ...
  return (err as { constructor?: { name?: string } }).constructor?.name ?? err.name;
}

/**
 * Turns whatever a provider threw into an ApplicationFailure with a stable type, retryable or
 * not on purpose, and `nextRetryDelay` from Retry-After (capped at `maxRetryAfterMs`).
 */
export function toCallFailure(
  err: unknown,
  ctx: {
    provider: string;
    model: string;
    maxRetryAfterMs: number;
    now: number;
    /** Retry-After beyond this: do not wait, let the route move on (non-retryable). */
    retryAfterBudgetMs?: number;
    /** The attempt that failed (1 = first), for the backoff when the vendor names no delay. */
    attempt?: number;
    /** [0, 1); injectable for tests. */
    random?: () => number;
  },
): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  let type: FailureType;
  let details: CallFailureDetails = { provider: ctx.provider, model: ctx.model };
  if (err instanceof ProviderFailure) {
    type = err.type;
    details = { ...details, ...err.details };
  } else {
    const e = (err ?? {}) as VendorErrorLike;
    const code = vendorCode(e);
    // Anthropic says "prompt is too long" as a plain 400 invalid_request_error.
    const message = err instanceof Error ? err.message : '';
    type =
      e.status === 400 && /prompt is too long|maximum context length/i.test(message)
        ? FailureType.ContextLength
        : classifyStatus(e.status, code, errorName(err));
    details = {
      ...details,
      status: e.status,
      vendorCode: code,
      requestId: e.requestID ?? undefined,
      retryAfterMs: parseRetryAfter(e.headers, ctx.now),
    };
  }
  const overBudget =
    ctx.retryAfterBudgetMs !== undefined &&
    details.retryAfterMs !== undefined &&
    details.retryAfterMs > ctx.retryAfterBudgetMs;
  const nonRetryable = NON_RETRYABLE_FAILURES.includes(type) || overBudget;
  const delay = nonRetryable
    ? undefined
    : details.retryAfterMs !== undefined
      ? Math.min(details.retryAfterMs, ctx.maxRetryAfterMs)
      : jitteredBackoffMs(ctx.attempt ?? 1, ctx.random ?? Math.random);
  const status = details.status
    ? ` (HTTP ${details.status}${details.vendorCode ? ` ${details.vendorCode}` : ''})`
    : '';
  const note = overBudget
    ? `, retry-after ${details.retryAfterMs} ms exceeds the ${ctx.retryAfterBudgetMs} ms budget`
    : '';
  return ApplicationFailure.create({
    type,
    message: `${type}${status}${note}`,
    nonRetryable,
    nextRetryDelay: delay,
    details: [details],
  });
}
