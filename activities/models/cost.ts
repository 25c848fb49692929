import type { ModelEntry } from '../../shared/platform/model-registry';
import type { ModelUsage } from './providers/model-provider';

/** USD for one call: cached input at the cached price (or the input price), per million tokens. */
export function costUsd(usage: ModelUsage, price: ModelEntry['price']): number {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const fresh = usage.inputTokens - cached;
  const usd =
    (fresh * price.input +
      cached * (price.cachedInput ?? price.input) +
      usage.outputTokens * price.output) /
    1_000_000;
  // Micro-dollar precision: enough for per-call accounting, free of float noise.
  return Math.round(usd * 1e6) / 1e6;
}
