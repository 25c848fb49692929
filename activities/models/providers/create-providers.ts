import type { KeelConfig } from '../../../shared/platform/config';
import { enabledProviders } from '../../../shared/platform/provider-settings';
import { createAnthropicProvider } from './anthropic-provider';
import { createLocalProvider } from './local-provider';
import type { ModelProvider } from './model-provider';
import { createOpenAIProvider } from './openai-provider';

/** The provider clients this deployment can call: `local`, plus every enabled vendor provider. */
export function createProviders(config: KeelConfig): ModelProvider[] {
  return [
    createLocalProvider(),
    ...enabledProviders(config).map((p) =>
      p.type === 'anthropic'
        ? createAnthropicProvider(p)
        : createOpenAIProvider({ ...p, type: p.type }),
    ),
  ];
}
