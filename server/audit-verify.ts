/**
 * `npm run audit:verify [-- --tenant <id>] [--json]`: walks the audit trail's hash chains in the
 * tenant store itself (KEEL_DATABASE_URL, else `<dataDir>/keel.db`), without the API, for an
 * operator with database access. The payload keys come from KEEL_PAYLOAD_KEYS or
 * KEEL_PAYLOAD_KEY_FILE, else `<dataDir>/payload-keys` as `npm start` keeps them. Exit 0 when
 * every chain is intact, 1 with one line per break, 2 when the store cannot be read.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../shared/platform/config';
import { TenantStore } from '../shared/tenancy/store';
import { tenantStorePath } from '../shared/tenancy/open';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { tenant: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const env = { ...process.env };
  const keyFile = path.join(loadConfig(env).dataDir, 'payload-keys');
  if (!env.KEEL_PAYLOAD_KEYS && !env.KEEL_PAYLOAD_KEY_FILE && existsSync(keyFile))
    env.KEEL_PAYLOAD_KEY_FILE = keyFile;
  const config = loadConfig(env);
  const store = await TenantStore.open({
    ...(config.databaseUrl ? { url: config.databaseUrl } : { sqlitePath: tenantStorePath(config) }),
    ...(config.payloadKeys ? { secretKeys: config.payloadKeys } : {}),
  });
  try {
    const report = await store.audit.verify(values.tenant ? { tenantId: values.tenant } : {});
    if (values.json) console.log(JSON.stringify(report));
    else {
      for (const p of report.problems) console.log(`BROKEN ${p.tenantId} #${p.seq}: ${p.problem}`);
      console.log(
        `${report.ok ? 'ok' : 'TAMPERED'}: ${report.records} records in ${report.tenants} chains, ${report.problems.length} problems`,
      );
    }
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`audit:verify: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
