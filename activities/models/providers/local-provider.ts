import { BUILT_IN_PROVIDER } from '../../../shared/platform/model-registry';
import { findTask } from '../../../shared/tasks';
import {
  streamNotSupported,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
} from './model-provider';

/** Whitespace word count: the local provider's honest stand-in for tokens. */
function countWords(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return text.split(/\s+/).filter(Boolean).length;
}

export const LOCAL_MODELS = ['keel-local-1'] as const;

/** What the local provider reads from `request.providerOptions.local`. */
export interface LocalProviderOptions {
  /** The task whose deterministic algorithm answers. */
  task: string;
  /** The validated task input. */
  input: unknown;
}

/** A task's deterministic answer for an input, or undefined when there is no such task. */
export type DeterministicAnswer = (task: string, input: unknown) => { output: unknown } | undefined;

/** Keel's task registry: each task's `fallback` algorithm. */
const taskFallback: DeterministicAnswer = (name, input) => {
  const task = findTask(name);
  return task ? { output: task.fallback(input) } : undefined;
};

function localOptions(request: ModelRequest): LocalProviderOptions | undefined {
  const options = request.providerOptions?.['local'];
  return options && typeof options['task'] === 'string'
    ? { task: options['task'], input: options['input'] }
    : undefined;
}

/**
 * The built-in offline provider: runs the task's deterministic algorithm (extractive summary,
 * lexicon classifier, ...). Free, instant, always available; the default when no vendor key is set.
 * It answers from `providerOptions.local` (task and input), not from the messages: a request that
 * carries no task is refused. It does not stream (its answer exists all at once).
 */
export function createLocalProvider(
  settings: { answer?: DeterministicAnswer } = {},
): ModelProvider {
  const answer = settings.answer ?? taskFallback;
  return {
    slug: BUILT_IN_PROVIDER,
    type: 'local',
    generate(request: ModelRequest): Promise<ModelResponse> {
      const id = request.model.id ?? request.model.name;
      if (!(LOCAL_MODELS as readonly string[]).includes(id)) {
        return Promise.reject(new Error(`local provider has no model "${id}"`));
      }
      const options = localOptions(request);
      const answered = options && answer(options.task, options.input);
      if (!answered) {
        return Promise.reject(new Error('local provider answers Keel tasks only'));
      }
      // A conversational task (chat) reads text, as it would from a vendor.
      const text = findTask(options.task)?.conversation?.textOf(answered.output);
      return Promise.resolve({
        ...(text !== undefined ? { text } : { output: answered.output }),
        model: id,
        usage: {
          inputTokens: request.messages.reduce((n, m) => n + countWords(m.content), 0),
          outputTokens: countWords(answered.output),
          cachedInputTokens: 0,
        },
        finishReason: 'stop',
      });
    },
    stream: () => streamNotSupported(BUILT_IN_PROVIDER),
  };
}
