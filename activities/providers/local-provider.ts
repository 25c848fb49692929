import { BUILT_IN_PROVIDER } from '../../shared/runtime/model-registry';
import type { ModelProvider, ModelRequest, ModelResponse } from './model-provider';

/** Whitespace word count: the local provider's honest stand-in for tokens. */
function countWords(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return text.split(/\s+/).filter(Boolean).length;
}

export const LOCAL_MODELS = ['keel-local-1'] as const;

/**
 * The built-in offline provider: runs the task's deterministic algorithm (extractive summary,
 * lexicon classifier, ...). Free, instant, always available; the default when no vendor key is set.
 */
export function createLocalProvider(): ModelProvider {
  return {
    slug: BUILT_IN_PROVIDER,
    type: 'local',
    generate(request: ModelRequest): Promise<ModelResponse> {
      const id = request.model.id ?? request.model.name;
      if (!(LOCAL_MODELS as readonly string[]).includes(id)) {
        return Promise.reject(new Error(`local provider has no model "${id}"`));
      }
      const output = request.task.fallback(request.input);
      return Promise.resolve({
        output,
        model: id,
        usage: {
          inputTokens: request.messages.reduce((n, m) => n + countWords(m.content), 0),
          outputTokens: countWords(output),
          cachedInputTokens: 0,
        },
        finishReason: 'stop',
      });
    },
  };
}
