import { resolveSecret } from './secret-file';

/**
 * The demo tenant's API key: KEEL_DEMO_API_KEY when set; otherwise one generated on first boot and
 * kept in `<dataDir>/demo-api-key` (mode 0600) so restarts and `npm run server` agree on it.
 */
export function resolveDemoApiKey(options: { configured?: string; dataDir: string }): {
  key: string;
  source: 'env' | 'file' | 'generated';
} {
  const secret = resolveSecret({ ...options, name: 'demo-api-key', prefix: 'keel_demo_' });
  return { key: secret.value, source: secret.source };
}
