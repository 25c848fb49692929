import type { KeelConfig } from '../../../shared/platform/config';
import { enabledProviders } from '../../../shared/platform/provider-settings';
import { createAnthropicProvider } from './anthropic-provider';
import { createLocalProvider } from './local-provider';
import type { ModelProvider } from './model-provider';
import { createOpenAIProvider } from './openai-provider';
import { tracedProvider } from './traced-provider';

/**
 * The provider clients this deployment can call: `local`, plus every enabled vendor provider;
 * with tracing on, each call is a GenAI span (traced-provider.ts).
 */
export function createProviders(config: KeelConfig): ModelProvider[] {
  const providers = [
    createLocalProvider(),
    ...enabledProviders(config).map((p) =>
      p.type === 'anthropic'
        ? createAnthropicProvider(p)
        : createOpenAIProvider({ ...p, type: p.type }),
    ),
  ];
  const tracing = config.tracing;
  return tracing ? providers.map((p) => tracedProvider(p, tracing.followsParent)) : providers;
}
