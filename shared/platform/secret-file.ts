import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A secret from configuration, or one generated on first use and kept in `<dataDir>/<name>`
 * (mode 0600) so restarts agree on it.
 */
export function resolveSecret(options: {
  configured?: string;
  dataDir: string;
  name: string;
  prefix?: string;
}): { value: string; source: 'env' | 'file' | 'generated' } {
  if (options.configured) return { value: options.configured, source: 'env' };
  const file = path.join(options.dataDir, options.name);
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 16) return { value, source: 'file' };
  }
  const value = `${options.prefix ?? ''}${randomBytes(24).toString('base64url')}`;
  mkdirSync(options.dataDir, { recursive: true });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, source: 'generated' };
}
