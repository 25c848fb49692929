import type { ProviderType } from './model-registry';
import type { KeelConfig } from './config';

export interface EnabledProvider {
  name: string;
  type: Exclude<ProviderType, 'local'>;
  apiKey?: string;
  baseURL?: string;
}

/**
 * The vendor providers this deployment can call, with their keys and endpoints: OpenAI and
 * Anthropic when their key is set (OPENAI_API_KEY / ANTHROPIC_API_KEY, or the provider's
 * `apiKeyEnv`); OpenAI-compatible servers always (they often need no key), but only when a route
 * names them. `local` is always there besides. Pure: the worker builds clients from this, the
 * server only reads the names.
 */
export function enabledProviders(config: KeelConfig): EnabledProvider[] {
  const enabled: EnabledProvider[] = [];
  for (const p of config.models.providers) {
    switch (p.type) {
      case 'openai':
      case 'openai-compatible': {
        const apiKey = config.secrets[p.apiKeyEnv ?? 'OPENAI_API_KEY'];
        if (p.type === 'openai' && !apiKey) break;
        const baseURL =
          p.baseUrl ?? (p.type === 'openai' ? config.vendorBaseUrls.openai : undefined);
        enabled.push({ name: p.name, type: p.type, apiKey, baseURL });
        break;
      }
      case 'anthropic': {
        const apiKey = config.secrets[p.apiKeyEnv ?? 'ANTHROPIC_API_KEY'];
        if (!apiKey) break;
        enabled.push({
          name: p.name,
          type: p.type,
          apiKey,
          baseURL: p.baseUrl ?? config.vendorBaseUrls.anthropic,
        });
        break;
      }
      case 'local':
        break;
    }
  }
  return enabled;
}

/** Route prefixes this deployment can call, `local` included. */
export function enabledProviderNames(config: KeelConfig): Set<string> {
  return new Set(['local', ...enabledProviders(config).map((p) => p.name)]);
}
