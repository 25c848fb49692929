import type { ProviderType } from './model-registry';
import type { KeelConfig } from './config';

export interface EnabledProvider {
  name: string;
  type: Exclude<ProviderType, 'local'>;
  apiKey?: string;
  /** A key pool (`apiKeyEnvs`): every key set, in the config's order; `apiKey` is the first. */
  apiKeys?: string[];
  baseURL?: string;
}

/** The keys set for a provider: its pool's, else its one variable's (or the vendor default). */
function keysOf(config: KeelConfig, p: KeelConfig['models']['providers'][number], env: string) {
  const names = p.apiKeyEnvs ?? [p.apiKeyEnv ?? env];
  const keys = names.flatMap((name) => (config.secrets[name] ? [config.secrets[name]] : []));
  return { apiKey: keys[0], ...(keys.length > 1 ? { apiKeys: keys } : {}) };
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
        const keys = keysOf(config, p, 'OPENAI_API_KEY');
        if (p.type === 'openai' && !keys.apiKey) break;
        const baseURL =
          p.baseUrl ?? (p.type === 'openai' ? config.vendorBaseUrls.openai : undefined);
        enabled.push({ name: p.name, type: p.type, ...keys, baseURL });
        break;
      }
      case 'anthropic': {
        const keys = keysOf(config, p, 'ANTHROPIC_API_KEY');
        if (!keys.apiKey) break;
        enabled.push({
          name: p.name,
          type: p.type,
          ...keys,
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
