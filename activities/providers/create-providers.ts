import type { KeelConfig } from '../../shared/runtime/config';
import { createAnthropicProvider } from './anthropic-provider';
import { createLocalProvider } from './local-provider';
import type { ModelProvider } from './model-provider';
import { createOpenAIProvider } from './openai-provider';

/**
 * The providers this deployment can call: `local` always; OpenAI and Anthropic when their key is
 * set (OPENAI_API_KEY / ANTHROPIC_API_KEY, or the provider's `apiKeyEnv`); OpenAI-compatible
 * servers always (they often need no key), but only when a route names them.
 */
export function createProviders(config: KeelConfig): ModelProvider[] {
  const providers: ModelProvider[] = [createLocalProvider()];
  for (const p of config.models.providers) {
    switch (p.type) {
      case 'openai':
      case 'openai-compatible': {
        const apiKey = config.secrets[p.apiKeyEnv ?? 'OPENAI_API_KEY'];
        if (p.type === 'openai' && !apiKey) break;
        const baseURL =
          p.baseUrl ?? (p.type === 'openai' ? config.vendorBaseUrls.openai : undefined);
        providers.push(createOpenAIProvider({ name: p.name, apiKey, baseURL }));
        break;
      }
      case 'anthropic': {
        const apiKey = config.secrets[p.apiKeyEnv ?? 'ANTHROPIC_API_KEY'];
        if (!apiKey) break;
        providers.push(
          createAnthropicProvider({
            name: p.name,
            apiKey,
            baseURL: p.baseUrl ?? config.vendorBaseUrls.anthropic,
          }),
        );
        break;
      }
      case 'local':
        break;
    }
  }
  return providers;
}

/** Provider names that will be enabled for this config, without building clients (the server). */
export function enabledProviderNames(config: KeelConfig): Set<string> {
  return new Set(createProviders(config).map((p) => p.slug));
}
