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
  const text = [...messages.map((m) => m.content), JSON.stringify(schema ?? '')].join('\n');
  // Two estimates, the larger: o200k with a quarter more for other vendors' tokenizers, and a
  // token per four characters (the mock upstream's count); plus each turn's framing.
  return (
    Math.max(Math.ceil(countTokens(text) * 1.25), Math.ceil(text.length / 4)) + 8 * messages.length
  );
}

/** First and longest pause between tries of a reservation that waits for room (jittered). */
const WAIT_FIRST_MS = 25;
const WAIT_MAX_MS = 200;

/** The month's spend of a tenant crossed a share of its budget. */
export interface BudgetThresholdEvent {
  tenantId: string;
  period: string;
  /** 0.8 or 1. */
  threshold: number;
  spentUsd: number;
  limitUsd: number;
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
 * Opens a call's bill. With a budget, the call's worst case (every input token it may be counted
 * plus the most output it may return, at the model's price) is reserved first, in one atomic
 * update: `undefined` means the reservation would pass the budget and the call must not be made.
 * A reservation refused only because calls in flight hold the rest of the budget is tried again
 * until `waitUntil`. Without a budget, the call is only recorded after it.
 */
export async function openBill(args: {
  store: TenantStore;
  billing: CallBilling;
  jobId: string;
  /** Unique per call attempt (`<job>/<activity>/<attempt>`). */
  callId: string;
  task: string;
  provider: string;
  model: ModelEntry;
  worstCase: ModelUsage;
  now: () => number;
  /** A reservation its process never settles is released by the sweep after this. */
  holdMs: number;
  /**
   * Epoch ms until which a reservation refused only for the room other calls in flight hold is
   * tried again (they settle for their actual cost or give it back). @default no wait
   */
  waitUntil?: number;
  /** Called between tries (a regular activity heartbeats). */
  onWait?: () => void;
  /** Stops the waiting (the call was cancelled). */
  signal?: AbortSignal;
  /** A settle took the month's spend past 80 % or 100 % of the budget (once per threshold). */
  onThreshold?: (event: BudgetThresholdEvent) => void;
}): Promise<CallBill | undefined> {
  const { store, billing } = args;
  const period = monthPeriod(args.now());
  const reserved = billing.limitMicros !== undefined;
  if (reserved) {
    const amountMicros = toMicros(costUsd(args.worstCase, args.model.price));
    for (let round = 0; ; round++) {
      const result = await store.reserveBudget({
        reservationId: args.callId,
        tenantId: billing.tenantId,
        period,
        amountMicros,
        limitMicros: billing.limitMicros ?? null,
        expiresAt: args.now() + args.holdMs,
      });
      if (result.ok) break;
      // Spend only grows: if the spent part alone leaves no room for this call, nothing will.
      // Otherwise calls in flight hold the room with their worst cases and will settle for far
      // less: wait for them rather than refuse a budget that is not spent.
      const pause = Math.min(WAIT_FIRST_MS * 2 ** round, WAIT_MAX_MS) * (0.5 + Math.random() / 2);
      if (
        result.spentMicros + amountMicros > billing.limitMicros! ||
        args.waitUntil === undefined ||
        args.now() + pause > args.waitUntil ||
        args.signal?.aborted
      )
        return undefined;
      args.onWait?.();
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
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
  });
  return {
    jobId: args.jobId,
    settle: async (usage, outcome) => {
      const entry = entryOf(usage, outcome, args.now());
      if (reserved) {
        const settled = await store.settleBudget({ reservationId: args.callId, entry, period });
        const limit = billing.limitMicros ?? 0;
        if (settled && args.onThreshold) {
          const before = settled.spentMicros - entry.costMicros;
          for (const threshold of crossedThresholds(before, settled.spentMicros, limit)) {
            args.onThreshold({
              tenantId: billing.tenantId,
              period,
              threshold,
              spentUsd: fromMicros(settled.spentMicros),
              limitUsd: fromMicros(limit),
            });
          }
        }
      }
      // The call's id makes a retried settle count once.
      else await store.recordUsage(entry, { id: args.callId, period });
    },
    release: async () => {
      if (reserved) await store.releaseBudget(args.callId);
    },
  };
}
