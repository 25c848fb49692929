import { BUILT_IN_PROVIDER } from '../../../shared/platform/model-registry';
import { findTask } from '../../../shared/tasks';
import type {
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ModelStreamPart,
  ToolCall,
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

/**
 * A task's deterministic answer for an input, or undefined when there is no such task. `text` is
 * the answer as a stream carries it (@default JSON of `output`); `toolCalls`, the calls a
 * conversational task's answer makes (the chat task's, when the tool choice requires one).
 */
export type DeterministicAnswer = (
  task: string,
  input: unknown,
) => { output: unknown; text?: string; toolCalls?: ToolCall[] } | undefined;

/** Keel's task registry: each task's `fallback` algorithm, read by its conversation hooks if any. */
const taskFallback: DeterministicAnswer = (name, input) => {
  const task = findTask(name);
  if (!task) return undefined;
  const output = task.fallback(input);
  const toolCalls = task.conversation?.toolCallsOf?.(output);
  return { output, text: task.conversation?.textOf(output), ...(toolCalls ? { toolCalls } : {}) };
};

/** How many words each streamed text delta carries. */
const WORDS_PER_DELTA = 3;

/** `text` in deltas of a few words each, whitespace kept: joined, they are `text` again. */
function deltasOf(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
  const deltas: string[] = [];
  for (let i = 0; i < words.length; i += WORDS_PER_DELTA) {
    deltas.push(words.slice(i, i + WORDS_PER_DELTA).join(''));
  }
  return deltas;
}

function localOptions(request: ModelRequest): LocalProviderOptions | undefined {
  const options = request.providerOptions?.['local'];
  return options && typeof options['task'] === 'string'
    ? { task: options['task'], input: options['input'] }
    : undefined;
}

interface LocalAnswer {
  response: ModelResponse;
  /** The answer as a stream carries it: a conversational task's text, else the output's JSON. */
  streamed: string;
}

/**
 * The built-in offline provider: runs the task's deterministic algorithm (extractive summary,
 * lexicon classifier, ...). Free, instant, always available; the default when no vendor key is set.
 * It answers from `providerOptions.local` (task and input), not from the messages: a request that
 * carries no task is refused. Its stream is the same answer in deltas of a few words, then the
 * same finish (`generate`'s usage).
 */
export function createLocalProvider(
  settings: { answer?: DeterministicAnswer } = {},
): ModelProvider {
  const answer = settings.answer ?? taskFallback;

  /** The answer to a request; throws when the model or the task is not one it answers. */
  function answerOf(request: ModelRequest): LocalAnswer {
    const id = request.model.id ?? request.model.name;
    if (!(LOCAL_MODELS as readonly string[]).includes(id)) {
      throw new Error(`local provider has no model "${id}"`);
    }
    const options = localOptions(request);
    const answered = options && answer(options.task, options.input);
    if (!answered) throw new Error('local provider answers Keel tasks only');
    // A conversational task (chat) reads text, as it would from a vendor.
    const { output, text, toolCalls } = answered;
    return {
      response: {
        ...(text !== undefined ? { text } : { output }),
        ...(toolCalls?.length ? { toolCalls } : {}),
        model: id,
        usage: {
          inputTokens: request.messages.reduce((n, m) => n + countWords(m.content), 0),
          outputTokens: countWords(output),
          cachedInputTokens: 0,
        },
        finishReason: toolCalls?.length ? 'tool' : 'stop',
      },
      streamed: text ?? JSON.stringify(output),
    };
  }

  return {
    slug: BUILT_IN_PROVIDER,
    type: 'local',
    generate(request: ModelRequest): Promise<ModelResponse> {
      return Promise.resolve(request).then((r) => answerOf(r).response);
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- the answer exists all at once
    async *stream(request: ModelRequest): AsyncGenerator<ModelStreamPart> {
      const { response, streamed } = answerOf(request);
      for (const delta of deltasOf(streamed)) yield { type: 'text-delta', delta };
      for (const call of response.toolCalls ?? []) yield { type: 'tool-call', ...call };
      const { finishReason, usage, model } = response;
      yield { type: 'finish', finishReason, usage, model };
    },
  };
}
