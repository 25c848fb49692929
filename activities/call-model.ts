import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { FailureType } from '../shared/errors';
import type { ModelProvider, ModelUsage } from './providers/model-provider';
import { requireTask } from './pipeline-activities';

export interface CallModelArgs {
  task: string;
  input: unknown;
  provider: string;
  model: string;
}

export interface CallModelResult {
  output: unknown;
  provider: string;
  model: string;
  usage: ModelUsage;
  finishReason: string;
  requestId?: string;
}

export function createCallModelActivity(deps: { providers: ReadonlyMap<string, ModelProvider> }) {
  return {
    /** Call: one model call. Retries, timeouts and cancellation belong to Temporal. */
    async callModel(args: CallModelArgs): Promise<CallModelResult> {
      const task = requireTask(args.task);
      const provider = deps.providers.get(args.provider);
      if (!provider) {
        throw ApplicationFailure.nonRetryable(
          `Provider "${args.provider}" is not configured on this worker`,
          FailureType.UnknownProvider,
        );
      }
      const response = await provider.generate({
        task,
        input: args.input,
        model: args.model,
        system: task.prompt.system,
        prompt: task.prompt.render(args.input),
        signal: Context.current().cancellationSignal,
      });
      return {
        output: response.output,
        provider: provider.slug,
        model: response.model,
        usage: response.usage,
        finishReason: response.finishReason,
        requestId: response.requestId,
      };
    },
  };
}
