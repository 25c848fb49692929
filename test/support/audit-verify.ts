import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './processes';

/**
 * `npm run audit:verify` as an operator runs it, offline against a deployment's data dir:
 * `server/audit-verify.ts` with `args`, the store in `dataDir`, the given payload keys ('' = none).
 */
export function auditVerify(
  args: string[],
  env: { dataDir: string; payloadKeys: string },
): SpawnSyncReturns<string> {
  return spawnSync(
    path.join(ROOT, 'node_modules/.bin/tsx'),
    [path.join(ROOT, 'server/audit-verify.ts'), ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, KEEL_DATA_DIR: env.dataDir, KEEL_PAYLOAD_KEYS: env.payloadKeys },
    },
  );
}
