import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../shared/errors';
import { findModel, type KeelFileConfig } from '../shared/runtime/model-registry';
import { costUsd } from './cost';
import { toCallFailure, type CallFailureDetails } from './providers/classify-error';
import type { ModelProvider, ModelUsage } from './providers/model-provider';
import { requireTask } from './pipeline-activities';

export interface CallModelArgs {
  task: string;
  input: unknown;
  provider: string;
  model: string;
}

export interface CallModelResult {
  /** Structured output when the provider returned an object; else `text` to parse. */
  output?: unknown;
  text?: string;
  provider: string;
  model: string;
  usage: ModelUsage;
  costUsd: number;
  finishReason: string;
  requestId?: string;
  /** Which attempt of this activity produced the answer (1 = first try). */
  attempt: number;
}

export interface CallModelDeps {
  providers: ReadonlyMap<string, ModelProvider>;
  registry: KeelFileConfig;
  now: () => number;
}

export function createCallModelActivity(deps: CallModelDeps) {
  return {
    /** Call: one model call. Retries, timeouts and cancellation belong to Temporal. */
    async callModel(args: CallModelArgs): Promise<CallModelResult> {
      const task = requireTask(args.task);
      const provider = deps.providers.get(args.provider);
      const entry = findModel(deps.registry, args.provider, args.model);
      if (!provider || !entry) {
        throw ApplicationFailure.nonRetryable(
          `${args.provider}:${args.model} is not configured on this worker`,
          provider ? FailureType.UnknownModel : FailureType.UnknownProvider,
        );
      }
      const ctx = Context.current();
      try {
        const response = await provider.generate({
          task,
          input: args.input,
          model: entry,
          messages: [
            { role: 'system', content: task.prompt.system },
            { role: 'user', content: task.prompt.render(args.input) },
          ],
          maxOutputTokens: entry.capabilities.maxOutputTokens,
          timeoutMs: ctx.info.startToCloseTimeoutMs,
          signal: ctx.cancellationSignal,
        });
        return {
          ...(response.output !== undefined
            ? { output: response.output }
            : { text: response.text ?? '' }),
          provider: provider.slug,
          model: response.model,
          usage: response.usage,
          costUsd: costUsd(response.usage, entry.price),
          finishReason: response.finishReason,
          requestId: response.requestId,
          attempt: ctx.info.attempt,
        };
      } catch (err) {
        const failure = toCallFailure(err, {
          provider: args.provider,
          model: args.model,
          maxRetryAfterMs: deps.registry.maxRetryAfterMs,
          now: deps.now(),
        });
        const details = failure.details?.[0] as CallFailureDetails | undefined;
        if (details) details.attempt = ctx.info.attempt;
        if (details?.billedUsage) {
          // A failed call the vendor still bills for: the workflow adds it to the task's cost.
          details.billedCostUsd = costUsd(details.billedUsage, entry.price);
        }
        throw failure;
      }
    },
  };
}
