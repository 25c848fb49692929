import type { KeelConfig } from '../shared/platform/config';
import { resolveDemoApiKey } from '../shared/platform/demo-key';
import { ensurePayloadKeyFile } from '../shared/platform/payload-codec';
import { resolveSecret } from '../shared/platform/secret-file';

/**
 * The environment a supervisor (`npm start`, `npm run cluster`) hands the Keel processes it runs:
 * its Temporal, the demo tenant and its key (the operator's when set, never printed; else
 * generated and kept in the data dir), the input-key secret (likewise), the payload keys (the
 * operator's KEEL_PAYLOAD_KEYS / KEEL_PAYLOAD_KEY_FILE; else, with `generatePayloadKeys` as
 * `npm start` asks, `<dataDir>/payload-keys`, generated once), and its own pid so they stop when
 * it is gone.
 */
export function keelProcessEnv(
  config: KeelConfig,
  base: NodeJS.ProcessEnv,
  overrides: NodeJS.ProcessEnv = {},
  options: { generatePayloadKeys?: boolean } = {},
): {
  env: NodeJS.ProcessEnv;
  demo: ReturnType<typeof resolveDemoApiKey> | undefined;
  inputKey: ReturnType<typeof resolveSecret>;
  /** The key file made for this data dir, when the operator configured no payload keys. */
  payloadKeyFile?: ReturnType<typeof ensurePayloadKeyFile>;
} {
  const demo = config.demoTenant
    ? resolveDemoApiKey({ configured: config.demoApiKey, dataDir: config.dataDir })
    : undefined;
  const inputKey = resolveSecret({
    configured: config.inputKeySecret,
    dataDir: config.dataDir,
    name: 'input-key-secret',
  });
  const env: NodeJS.ProcessEnv = {
    ...base,
    TEMPORAL_ADDRESS: config.temporal.address,
    KEEL_DEMO_TENANT: String(config.demoTenant),
    KEEL_INPUT_KEY_SECRET: inputKey.value,
    KEEL_PARENT_PID: String(process.pid),
    ...overrides,
  };
  if (demo) env.KEEL_DEMO_API_KEY = demo.key;
  else delete env.KEEL_DEMO_API_KEY;
  // `npm start` encrypts by default: the key lives in a file, not in the children's env.
  const payloadKeyFile =
    config.payloadKeys || !options.generatePayloadKeys
      ? undefined
      : ensurePayloadKeyFile(config.dataDir);
  if (payloadKeyFile) env.KEEL_PAYLOAD_KEY_FILE = payloadKeyFile.file;
  return { env, demo, inputKey, payloadKeyFile };
}
