import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, PROVIDER_FAULTS } from '../../shared/contracts/errors';
import type { ProviderHealth } from '../../shared/platform/provider-health';
import type { CallOutcome } from '../../shared/policy/breaker';
import { findModel } from '../../shared/platform/model-registry';
import type { KeelFileConfig } from '../../shared/platform/config-file';
import type { Limiter } from '../../shared/tenancy/limits';
import type { TenantStore } from '../../shared/tenancy/store';
import { attemptDeadline, deadlineFailure } from './attempt-deadline';
import {
  callIdOf,
  chargeAbandonedAttempts,
  openBill,
  worstCaseInputTokens,
  type BudgetThresholdEvent,
  type CallBill,
  type CallBilling,
  type InterruptedCharge,
} from './billing';
import { costUsd } from './cost';
import { toCallFailure, type CallFailureDetails } from './providers/classify-error';
import type { ModelProvider, ModelUsage, ToolCall } from './providers/model-provider';
import { requireTask } from '../pipeline/pipeline-activities';
import { renderTaskRequest, type Reask } from './render-request';
import { callOutputCap } from '../../shared/tasks';
import { findInternalTask } from '../../shared/tasks/injection-check';
import { recordFirstToken, recordModelCall } from '../../shared/platform/metrics';
import { streamRelay } from '../../shared/platform/stream-relay';
import { jobAborts } from '../../shared/platform/job-aborts';
import { watchCancelRequest } from '../../shared/platform/cancel-watch';
import { streamToChannel, type StreamModeration } from './stream-call';
import { deadlineSignal } from './providers/request-options';

/** How often a model call tells Temporal it is alive (the workflow's heartbeat timeout is 5 s). */
const HEARTBEAT_EVERY_MS = 1_000;

export interface CallModelArgs {
  task: string;
  input: unknown;
  provider: string;
  model: string;
  /** A Retry-After longer than this is not waited for: the failure becomes non-retryable. */
  maxRetryDelayMs?: number;
  /** A second chance: the model's previous answer and why it was rejected. */
  reask?: Reask;
  /**
   * The candidate's timeout for one attempt, in ms: connect, first byte and the whole body.
   * @default the activity's startToCloseTimeout
   */
  timeoutMs?: number;
  /**
   * Epoch ms by which the task's envelope needs this candidate done: no attempt runs past it,
   * and a Timeout it causes is final for the candidate (non-retryable) so the route moves on.
   */
  deadlineAt?: number;
  /** A registry prompt version's id (the plan's `promptId`), sent instead of the built-in prompt. */
  promptId?: string;
  /** Who pays: with it, the call is reserved against the tenant's budget and put in the ledger. */
  billing?: CallBilling;
  /** The chat endpoint's moderation scope: its caller streaming here gets the job's channel. */
  stream?: StreamModeration;
}

export interface CallModelResult {
  /** Structured output when the provider returned an object; else `text` to parse. */
  output?: unknown;
  text?: string;
  /** Calls of the request's tools (the chat endpoint), arguments as the model wrote them. */
  toolCalls?: ToolCall[];
  provider: string;
  model: string;
  usage: ModelUsage;
  costUsd: number;
  finishReason: string;
  requestId?: string;
  /**
   * Calls this activity made for the answer: its attempt number (1 = first try), plus earlier
   * runs of the same attempt cut off by a worker's death (a local activity runs again on the next
   * worker with the same number), so `meta.attempts` counts every call the vendor saw.
   */
  attempt: number;
  /** How long the provider took to answer (this attempt). */
  providerMs: number;
  /**
   * Earlier attempts of this call cut off mid-call (their worker died) and charged now: how many,
   * and their worst case, an upper bound of what the vendor billed. Absent when none.
   */
  interrupted?: InterruptedCharge;
}

export interface CallModelDeps {
  providers: ReadonlyMap<string, ModelProvider>;
  registry: KeelFileConfig;
  now: () => number;
  health?: ProviderHealth;
  /** The tenant store: budgets and the usage ledger. Without it, calls are not billed. */
  store?: TenantStore;
  /** The tenants' token windows: each billed call's usage replaces its share of the estimate. */
  limiter?: Limiter;
  /** Where a budget threshold crossed is told (a log line and a metric now; webhooks later). */
  onBudgetThreshold?: (event: BudgetThresholdEvent) => void | Promise<void>;
  /** Temporal: a long local call listens for its job's cancel request (cancel-watch.ts). */
  temporal?: Omit<Parameters<typeof watchCancelRequest>[0], 'jobId' | 'afterMs'>;
}

/** How long past its deadline an unsettled reservation is kept before the sweep releases it. */
const RESERVATION_GRACE_MS = 60_000;

export function createCallModelActivity(deps: CallModelDeps) {
  return {
    /** Call: one model call, ended at its deadline. Retries and cancellation belong to Temporal. */
    async callModel(args: CallModelArgs): Promise<CallModelResult> {
      // Keel's own checks (the model-based injection check) are called like any task.
      const task = findInternalTask(args.task) ?? requireTask(args.task);
      const provider = deps.providers.get(args.provider);
      const entry = findModel(deps.registry, args.provider, args.model);
      if (!provider || !entry) {
        throw ApplicationFailure.nonRetryable(
          `${args.provider}:${args.model} is not configured on this worker`,
          provider ? FailureType.UnknownModel : FailureType.UnknownProvider,
        );
      }
      // The shared breaker: an open circuit means no call (the local model has none).
      const guarded = deps.health && provider.type !== 'local' ? deps.health : undefined;
      // A probe is held for as long as this attempt may last (startToClose), never joined.
      const attemptMs = Context.current().info.startToCloseTimeoutMs;
      const permit = await guarded?.permit(args.provider, args.model, deps.now(), attemptMs);
      if (permit && !permit.allow) {
        throw ApplicationFailure.nonRetryable(
          `circuit open for ${args.provider}:${args.model}`,
          FailureType.CircuitOpen,
        );
      }
      // Only the probe's own outcome decides a half-open circuit (shared/policy/breaker.ts).
      const report = async (o: Omit<CallOutcome, 'at'>): Promise<void> =>
        guarded?.report(args.provider, args.model, {
          at: deps.now(),
          probe: !!permit?.probe,
          ...o,
        });
      const startedAt = deps.now();
      const ctx = Context.current();
      const deadline = attemptDeadline({
        startedAt,
        timeoutMs: args.timeoutMs,
        deadlineAt: args.deadlineAt,
        startToCloseMs: ctx.info.startToCloseTimeoutMs,
      });
      const expired = (called: boolean): ApplicationFailure =>
        deadlineFailure(deadline, {
          provider: args.provider,
          model: args.model,
          attempt: ctx.info.attempt,
          called,
        });
      // The task's budget is spent: no call, and nothing for the breaker to learn.
      if (deadline.ms <= 0) throw expired(false);
      // One total deadline for the attempt, on a timer of its own: it ends the HTTP call while the
      // body or stream is still arriving (the SDKs' `timeout` stops at the headers), and needs no
      // heartbeat, so a local activity stops at it just the same.
      const prompt = args.promptId ? await promptText(deps.store, args.promptId) : undefined;
      const request = renderTaskRequest({
        task,
        input: args.input,
        ...(args.reask ? { reask: args.reask } : {}),
        ...(prompt ? { prompt } : {}),
      });
      // The task's cap bounds what one call can cost (and so the budget's reservation).
      // A conversational task may carry the caller's sampling (the chat endpoint's max_tokens).
      const sampling = task.conversation?.sampling?.(args.input) ?? {};
      const maxOutputTokens = Math.min(
        callOutputCap(task, entry.capabilities.maxOutputTokens),
        sampling.maxOutputTokens ?? Number.POSITIVE_INFINITY,
      );
      let bill: CallBill | undefined;
      let interrupted: InterruptedCharge | undefined;
      let attempts = ctx.info.attempt;
      if (deps.store && args.billing && provider.type !== 'local') {
        const { activityId, attempt, workflowExecution: run } = ctx.info;
        const jobId = run?.workflowId ?? 'unknown';
        // Every attempt of this call shares the key; each execution of one has its own id (a
        // local activity whose worker died runs again on the next with the same attempt number).
        const callKey = `${jobId}/${run?.runId ?? ''}/${activityId}`;
        const charged = await chargeAbandonedAttempts({
          store: deps.store,
          billing: args.billing,
          callKey,
          attempt,
          now: deps.now,
          ...(deps.onBudgetThreshold ? { onThreshold: deps.onBudgetThreshold } : {}),
        });
        if (charged.calls > 0) {
          interrupted = { calls: charged.calls, costUsd: charged.costUsd };
          attempts += charged.uncounted;
        }
        bill = await openBill({
          store: deps.store,
          billing: args.billing,
          jobId,
          callId: callIdOf(callKey, attempt),
          callKey,
          task: args.task,
          provider: args.provider,
          model: entry,
          worstCase: {
            inputTokens: worstCaseInputTokens(
              request.messages,
              // The format's schema and the tools' definitions are sent too, and counted.
              request.tools
                ? [request.responseFormat, request.tools.tools]
                : request.responseFormat.type === 'json'
                  ? request.responseFormat.schema
                  : undefined,
            ),
            outputTokens: maxOutputTokens,
            cachedInputTokens: 0,
          },
          now: deps.now,
          holdMs: deadline.ms + RESERVATION_GRACE_MS,
          ...(deps.onBudgetThreshold ? { onThreshold: deps.onBudgetThreshold } : {}),
        });
        if (!bill) {
          throw ApplicationFailure.nonRetryable(
            `a call to ${args.provider}:${args.model} could pass the tenant's monthly budget (spent, plus the worst case of the calls in flight)`,
            FailureType.BudgetExceeded,
            ...(interrupted ? [interruptedDetails(interrupted)] : []),
          );
        }
      }
      // What is left of the attempt after the reservation; its time is not the vendor's latency
      // (the breaker, adaptive timeouts and hedges learn from it).
      const calledAt = deps.now();
      const labels = { provider: args.provider, model: args.model };
      let answered = false;
      const secondsSince = (at: number): number => Math.max(0, deps.now() - at) / 1_000;
      const callMs = bill ? Math.max(1, deadline.at - calledAt) : deadline.ms;
      // Heartbeats carry cancellation (hard timeout, cancel) to this call: the signal aborts the
      // HTTP request. A local activity cannot heartbeat: the worker cancels it through the signal.
      const beat = ctx.info.isLocal
        ? undefined
        : setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      // A caller streaming from this process (the chat endpoint, worker embedded) has a channel.
      const jobId = ctx.info.workflowExecution?.workflowId;
      const channel = args.stream && jobId ? streamRelay.find(jobId) : undefined;
      // Its stream timeouts end the vendor call through this (a non-streamed call needs none).
      const streamAbort = channel ? new AbortController() : undefined;
      // A cancel reaches a local call at once from this process (job-aborts.ts) or, once it runs
      // long, from its job's history (cancel-watch.ts: a separate worker's call).
      const jobCall = ctx.info.isLocal && jobId ? jobAborts.register(jobId) : undefined;
      const unwatch =
        jobCall && jobId && deps.temporal && watchCancelRequest({ ...deps.temporal, jobId });
      const cancelled = (): boolean => ctx.cancellationSignal.aborted || !!jobCall?.cancelled;
      // The attempt's deadline, the activity's cancellation and the stream's timeouts, in one signal.
      const callSignal = deadlineSignal(callMs, [
        ctx.cancellationSignal,
        ...(jobCall ? [jobCall.signal] : []),
        ...(channel && streamAbort ? [streamAbort.signal, channel.signal] : []),
      ]);
      try {
        const modelRequest = {
          ...request,
          model: entry,
          maxOutputTokens,
          ...(sampling.temperature !== undefined ? { temperature: sampling.temperature } : {}),
          timeoutMs: callMs,
          signal: callSignal.signal,
        };
        const response =
          channel && streamAbort && args.stream
            ? await streamToChannel({
                provider,
                request: modelRequest,
                channel,
                attempt: `${ctx.info.workflowExecution?.runId}/${ctx.info.activityId}/${ctx.info.attempt}`,
                moderation: args.stream,
                callTimeoutMs: args.timeoutMs ?? callMs,
                abort: () => streamAbort.abort(),
                inputTokens: worstCaseInputTokens(request.messages, undefined),
                onFirstToken: () =>
                  recordFirstToken({ ...labels, seconds: secondsSince(calledAt) }),
              })
            : await provider.generate(modelRequest);
        const cost = costUsd(response.usage, entry.price);
        recordModelCall({
          ...labels,
          outcome: 'ok',
          seconds: secondsSince(calledAt),
          usage: response.usage,
          costUsd: cost,
          tenant: args.billing?.tenantId,
        });
        answered = true;
        if (bill) {
          await bill.settle(response.usage, 'ok');
          await deps.limiter?.settle(
            bill.jobId,
            response.usage.inputTokens + response.usage.outputTokens,
          );
        }
        await report({ ok: true, latencyMs: deps.now() - calledAt });
        return {
          ...(response.output !== undefined
            ? { output: response.output }
            : { text: response.text ?? '' }),
          ...(response.toolCalls?.length ? { toolCalls: response.toolCalls } : {}),
          provider: provider.slug,
          model: response.model,
          usage: response.usage,
          costUsd: cost,
          finishReason: response.finishReason,
          requestId: response.requestId,
          attempt: attempts,
          providerMs: Math.max(0, deps.now() - calledAt),
          ...(interrupted ? { interrupted } : {}),
        };
      } catch (err) {
        // Past the deadline, whatever the SDK made of its aborted transport is a Timeout.
        const late = callSignal.timedOut() && !cancelled();
        const failure = late
          ? expired(true)
          : toCallFailure(err, {
              provider: args.provider,
              model: args.model,
              maxRetryAfterMs: deps.registry.maxRetryAfterMs,
              retryAfterBudgetMs: args.maxRetryDelayMs,
              attempt: ctx.info.attempt,
              now: deps.now(),
            });
        if (guarded && cancelled()) {
          // Cancelled (a hedge's loser, the hard timeout): no fault, but the call was at least
          // this slow. Dropping it would leave the p95 only the calls that won, and the hedge
          // delay taken from it would creep down and hedge ever more often. A cancelled probe
          // proves nothing either way: it decides nothing, and the probe is held till it expires.
          await report({ ok: true, latencyMs: deps.now() - calledAt, probe: false });
        } else if (guarded && PROVIDER_FAULTS.includes(failure.type as FailureType)) {
          const type = failure.type ?? undefined;
          await report({ ok: false, latencyMs: deps.now() - calledAt, failure: type });
        }
        const details = failure.details?.[0] as CallFailureDetails | undefined;
        if (details) {
          details.attempt = attempts;
          details.providerMs = Math.max(0, deps.now() - calledAt);
          if (interrupted) Object.assign(details, interruptedDetails(interrupted));
        }
        if (details?.billedUsage) {
          // A failed call the vendor still bills for: the workflow adds it to the task's cost.
          details.billedCostUsd = costUsd(details.billedUsage, entry.price);
        }
        // A call the provider answered is counted above (what failed was the bill's store).
        if (!answered)
          recordModelCall({
            ...labels,
            outcome: cancelled() ? 'cancelled' : (failure.type ?? 'unknown'),
            seconds: secondsSince(calledAt),
            usage: details?.billedUsage,
            costUsd: details?.billedCostUsd,
            tenant: args.billing?.tenantId,
          });
        // Cancelled mid-call (a hedge's loser, the hard timeout): the vendor reports no usage.
        if (bill) {
          await bill.settle(details?.billedUsage, cancelled() ? 'interrupted' : 'failed');
          const billed = details?.billedUsage;
          if (billed)
            await deps.limiter?.settle(bill.jobId, billed.inputTokens + billed.outputTokens);
        }
        throw failure;
      } finally {
        clearInterval(beat);
        callSignal.clear();
        if (unwatch) unwatch();
        jobCall?.release();
      }
    },
  };
}

/** How a failed call carries the earlier attempts it charged (workflows/failure-info.ts reads it). */
function interruptedDetails(
  charge: InterruptedCharge,
): Pick<CallFailureDetails, 'interruptedCalls' | 'interruptedCostUsd'> {
  return { interruptedCalls: charge.calls, interruptedCostUsd: charge.costUsd };
}

/** A registry version's text, by id (cached by the store: versions never change). */
async function promptText(
  store: TenantStore | undefined,
  id: string,
): Promise<{ system: string; userTemplate: string }> {
  const version = await store?.prompts.version(id);
  if (!version)
    throw ApplicationFailure.nonRetryable(
      `prompt version ${id} is not in the registry`,
      FailureType.UnknownTask,
    );
  return version;
}
