import { randomUUID } from 'node:crypto';
import { countTokens } from 'gpt-tokenizer';
import type { ModelEntry } from '../../shared/platform/model-registry';
import type { LedgerEntry, TenantStore } from '../../shared/tenancy/store';
import { monthPeriod } from '../../shared/tenancy/store';
import { crossedThresholds, fromMicros, toMicros } from '../../shared/tenancy/plans';
import { costUsd } from './cost';
import type { ChatMessage, ModelUsage } from './providers/model-provider';

/** Who a model call is billed to, from the job's tenancy (`RunTaskRequest.tenancy`). */
export interface CallBilling {
  tenantId: string;
  keyId?: string;
  promptVersion: string;
  /** The month's budget in micro-USD; absent: no budget (the call is only recorded). */
  limitMicros?: number;
}

/** Tokens a vendor may count for what a request sends, at most (before its own tokenizer). */
export function worstCaseInputTokens(messages: readonly ChatMessage[], schema: unknown): number {
  const text = [
    ...messages.map((m) => m.content + (m.toolCalls ? JSON.stringify(m.toolCalls) : '')),
    JSON.stringify(schema ?? ''),
  ].join('\n');
  // Two estimates, the larger: o200k with a quarter more for other vendors' tokenizers, and a
  // token per four characters (the mock upstream's count); plus each turn's framing.
  return (
    Math.max(Math.ceil(countTokens(text) * 1.25), Math.ceil(text.length / 4)) + 8 * messages.length
  );
}

/** The month's spend of a tenant crossed a share of its budget. */
export interface BudgetThresholdEvent {
  tenantId: string;
  period: string;
  /** 0.8 or 1. */
  threshold: number;
  spentUsd: number;
  limitUsd: number;
}

/**
 * Earlier attempts of a call whose result never reached the workflow (their worker died mid-call,
 * or after the vendor's answer was billed but before the workflow had it): the job's meta
 * reports them.
 */
export interface InterruptedCharge {
  calls: number;
  /**
   * What the tenant is charged for them: the vendor's bill where the dying worker had recorded
   * it, else the reserved worst case (an upper bound; the vendor told Keel nothing).
   */
  costUsd: number;
}

/** What a new attempt learns of its call's earlier ones (`chargeAbandonedAttempts`). */
export interface EarlierAttempts extends InterruptedCharge {
  /**
   * How many of them Temporal's attempt number does not count: runs with this attempt's number
   * (a local activity runs again on the next worker with the same one).
   */
  uncounted: number;
}

/** A reservation's (and its ledger row's) id: unique per execution of a call attempt. */
export function callIdOf(callKey: string, attempt: number): string {
  return `${callKey}/${attempt}/${randomUUID().slice(0, 8)}`;
}

function attemptOfCallId(callKey: string, id: string): number {
  return Number(id.slice(callKey.length + 1).split('/')[0]);
}

/** Tells each budget threshold a change of the month's spend from `before` to `after` crossed. */
async function tellThresholds(
  args: {
    billing: CallBilling;
    period: string;
    onThreshold?: (event: BudgetThresholdEvent) => void | Promise<void>;
  },
  before: number,
  after: number,
): Promise<void> {
  const limit = args.billing.limitMicros;
  if (limit === undefined || !args.onThreshold) return;
  for (const threshold of crossedThresholds(before, after, limit)) {
    await args.onThreshold({
      tenantId: args.billing.tenantId,
      period: args.period,
      threshold,
      spentUsd: fromMicros(after),
      limitUsd: fromMicros(limit),
    });
  }
}

/**
 * Charges the earlier attempts of this call whose reservations are still open: an attempt that
 * starts means Temporal gave up on those (their worker died, or lost the call), so each is booked
 * now as `interrupted` at its reserved worst case (an estimate, never less than the vendor could
 * bill), instead of when the sweep finds it past its hold. Should one come back after all, its
 * settle replaces the estimate with the vendor's usage.
 *
 * Then reports, from the ledger, the earlier attempts whose result never reached the workflow:
 * every one charged as interrupted (by whichever attempt or sweep), and every run with this
 * attempt's number or a later one (settled by a worker that died before its workflow heard).
 * Earlier numbers that settled are the attempts Temporal saw fail (counted by the number).
 */
export async function chargeAbandonedAttempts(args: {
  store: TenantStore;
  billing: CallBilling;
  /** The call's attempts share it: `<job>/<run>/<activity>`. */
  callKey: string;
  /** This attempt's number (Temporal's). */
  attempt: number;
  now: () => number;
  onThreshold?: (event: BudgetThresholdEvent) => void | Promise<void>;
}): Promise<EarlierAttempts> {
  const charged = await args.store.chargeAbandoned({ callKey: args.callKey });
  const micros = charged.calls.reduce((sum, c) => sum + c.costMicros, 0);
  if (charged.spentMicros !== undefined && micros > 0) {
    const period = monthPeriod(args.now());
    await tellThresholds({ ...args, period }, charged.spentMicros - micros, charged.spentMicros);
  }
  const sameOrLater = (id: string): boolean => attemptOfCallId(args.callKey, id) >= args.attempt;
  const unheard = (await args.store.callLedger(args.callKey)).filter(
    (r) => (r.outcome === 'interrupted' && r.estimated) || sameOrLater(r.id),
  );
  return {
    calls: unheard.length,
    costUsd: fromMicros(unheard.reduce((sum, r) => sum + r.costMicros, 0)),
    uncounted: unheard.filter((r) => sameOrLater(r.id)).length,
  };
}

/** One model call's bill: reserved before the call, settled with the vendor's usage after. */
export interface CallBill {
  jobId: string;
  /** The call was made; the vendor reported this usage (a failure may bill too). */
  settle(usage: ModelUsage | undefined, outcome: LedgerEntry['outcome']): Promise<void>;
  /** No call reached the vendor: give the reservation back. */
  release(): Promise<void>;
}

/**
 * Opens a call's bill: the call's worst case (every input token it may be counted plus the most
 * output it may return, at the model's price) is reserved first, in one atomic update, with its
 * ledger row. `undefined`: the reservation would pass the budget (spent plus what calls in flight
 * hold), and the call must not be made. Without a budget the reservation always succeeds: it is
 * the call's record until it settles, so a call whose process dies mid-call is still counted
 * and charged (`interrupted`, at its worst case: by its retry, else by the sweep).
 */
export async function openBill(args: {
  store: TenantStore;
  billing: CallBilling;
  jobId: string;
  /** Unique per execution of a call attempt (`<callKey>/<attempt>/<nonce>`). */
  callId: string;
  /** What every attempt of the call shares (`<job>/<run>/<activity>`): its retry finds it by this. */
  callKey: string;
  task: string;
  provider: string;
  model: ModelEntry;
  worstCase: ModelUsage;
  now: () => number;
  /** A reservation its process never settles is released by the sweep after this. */
  holdMs: number;
  /**
   * A settle took the month's spend past 80 % or 100 % of the budget (once per threshold);
   * awaited, so the event is told before the call's activity completes.
   */
  onThreshold?: (event: BudgetThresholdEvent) => void | Promise<void>;
}): Promise<CallBill | undefined> {
  const { store, billing } = args;
  const period = monthPeriod(args.now());
  const entryOf = (
    usage: ModelUsage | undefined,
    outcome: LedgerEntry['outcome'],
    at: number,
  ): LedgerEntry => ({
    at,
    tenantId: billing.tenantId,
    keyId: billing.keyId ?? null,
    jobId: args.jobId,
    task: args.task,
    provider: args.provider,
    model: args.model.name,
    promptVersion: billing.promptVersion,
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cachedInputTokens: usage?.cachedInputTokens ?? 0,
    costMicros: usage ? toMicros(costUsd(usage, args.model.price)) : 0,
    outcome,
    callKey: args.callKey,
  });
  const reservation = await store.reserveBudget({
    reservationId: args.callId,
    tenantId: billing.tenantId,
    period,
    amountMicros: toMicros(costUsd(args.worstCase, args.model.price)),
    limitMicros: billing.limitMicros ?? null,
    expiresAt: args.now() + args.holdMs,
    entry: entryOf(undefined, 'interrupted', args.now()),
    callKey: args.callKey,
  });
  if (!reservation.ok) return undefined;
  return {
    jobId: args.jobId,
    settle: async (usage, outcome) => {
      const entry = entryOf(usage, outcome, args.now());
      const settled = await store.settleBudget({ reservationId: args.callId, entry, period });
      if (settled)
        await tellThresholds(
          { ...args, period },
          settled.spentMicros - entry.costMicros,
          settled.spentMicros,
        );
    },
    release: async () => {
      await store.releaseBudget(args.callId);
    },
  };
}
