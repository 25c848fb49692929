import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The demo tenant's API key: KEEL_DEMO_API_KEY when set; otherwise one generated on first boot and
 * kept in `<dataDir>/demo-api-key` (mode 0600) so restarts and `npm run server` agree on it.
 */
export function resolveDemoApiKey(options: { configured?: string; dataDir: string }): {
  key: string;
  source: 'env' | 'file' | 'generated';
} {
  if (options.configured) return { key: options.configured, source: 'env' };
  const file = path.join(options.dataDir, 'demo-api-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 16) return { key, source: 'file' };
  }
  const key = `keel_demo_${randomBytes(24).toString('base64url')}`;
  mkdirSync(options.dataDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source: 'generated' };
}
