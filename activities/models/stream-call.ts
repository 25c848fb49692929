import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../shared/contracts/errors';
import type { StreamChannel } from '../../shared/platform/stream-relay';
import { StreamWindow, type StreamWindowOptions } from '../guards/stream-window';
import { ProviderFailure } from './providers/classify-error';
import type {
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ModelStreamPart,
  ToolCall,
} from './providers/model-provider';
import { streamTimeoutsMs, withStreamTimeouts } from './providers/stream-timeouts';

/** What the workflow passes for a call whose caller may stream: the window's moderation scope. */
export type StreamModeration = Omit<StreamWindowOptions, 'input' | 'holdChars'>;

/**
 * One model call streamed to the caller through the job's channel (shared/platform/stream-relay):
 * text leaves through the output-moderation window as it arrives, and the whole answer is
 * returned like `generate`'s for the workflow to validate. The window's last characters are not
 * sent from here: the endpoint sends the rest from the validated answer, so an answer that fails
 * validation at the end becomes an error event, never a success.
 *
 * A failure before any text was sent is the call's failure as usual (the route falls back, and
 * the caller never knows). After it, the channel gets the end (`broken` or `filtered`) and the
 * call fails with `StreamInterrupted`, non-retryable, carrying an estimate of what was billed.
 */
export async function streamToChannel(args: {
  provider: ModelProvider;
  request: ModelRequest;
  channel: StreamChannel;
  /** This attempt's key: the channel refuses every other attempt once one has sent text. */
  attempt: string;
  moderation: StreamModeration;
  /** The candidate's adaptive call timeout, which the stream timeouts are shares of. */
  callTimeoutMs: number;
  /** Aborts the HTTP request (the stream timeouts call it). */
  abort: () => void;
  /** Estimated input tokens, for a broken stream's bill. */
  inputTokens: number;
  /** The first text delta arrived (the time-to-first-token metric). */
  onFirstToken?: () => void;
}): Promise<ModelResponse> {
  const { channel, attempt } = args;
  if (!channel.mayWrite(attempt)) throw interrupted('another attempt already streamed its answer');
  const window = new StreamWindow({ ...args.moderation, input: channel.input });
  let text = '';
  // Tool calls are not streamed to the caller: the endpoint sends them once validation passed.
  const toolCalls: ToolCall[] = [];
  let finish: Extract<ModelStreamPart, { type: 'finish' }> | undefined;
  try {
    const parts = withStreamTimeouts(args.provider.stream(args.request), {
      ...streamTimeoutsMs({ callTimeoutMs: args.callTimeoutMs }),
      signal: args.request.signal,
      onTimeout: args.abort,
    });
    for await (const part of parts) {
      if (part.type === 'finish') {
        finish = part;
        continue;
      }
      if (part.type === 'tool-call') {
        const { type: _type, ...call } = part;
        toolCalls.push(call);
        continue;
      }
      if (text.length === 0) args.onFirstToken?.();
      text += part.delta;
      const step = window.push(part.delta);
      if ('violation' in step) {
        channel.end(attempt, { type: 'filtered', detail: step.violation.detail });
        args.abort();
        throw interrupted(`output moderation stopped the stream (${step.violation.detail})`, {
          billed: billedSoFar(args.inputTokens, text),
        });
      }
      if (!channel.write(attempt, step.release, `${args.provider.slug}:${args.request.model.name}`))
        throw interrupted('another attempt already streamed its answer');
    }
  } catch (err) {
    if (err instanceof ProviderFailure && err.type === FailureType.StreamInterrupted) throw err;
    // Nothing reached the caller: an ordinary failure, and the route's next candidate takes over.
    // A stream that timed out (no first token, a stall) moves on at once: a caller is waiting
    // for its first byte, and the same candidate again would double that wait.
    if (!channel.owns(attempt)) {
      if (err instanceof ProviderFailure && err.type === FailureType.Timeout)
        throw ApplicationFailure.create({
          type: FailureType.Timeout,
          message: `${FailureType.Timeout}: ${err.message}`,
          nonRetryable: true,
          details: [{ provider: args.provider.slug, model: args.request.model.name }],
        });
      throw err;
    }
    const message = err instanceof Error ? err.message : String(err);
    channel.end(attempt, { type: 'broken', message: `the model's stream failed: ${message}` });
    throw interrupted(
      `the stream broke after ${channel.sentChars} characters reached the caller: ${message}`,
      { billed: billedSoFar(args.inputTokens, text) },
    );
  }
  if (!finish) throw interrupted('the stream ended without a finish');
  return {
    text,
    ...(toolCalls.length ? { toolCalls } : {}),
    model: finish.model,
    usage: finish.usage,
    finishReason: finish.finishReason,
    ...(finish.requestId ? { requestId: finish.requestId } : {}),
  };
}

function interrupted(message: string, extra: { billed?: ModelResponse['usage'] } = {}) {
  return new ProviderFailure(
    FailureType.StreamInterrupted,
    message,
    extra.billed ? { billedUsage: extra.billed } : {},
  );
}

/** What a stream cut short has cost at least: the prompt, and a token per 4 characters received. */
function billedSoFar(inputTokens: number, text: string): ModelResponse['usage'] {
  return { inputTokens, outputTokens: Math.ceil(text.length / 4), cachedInputTokens: 0 };
}
