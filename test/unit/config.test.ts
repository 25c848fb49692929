import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  EMBEDDED_DEFAULTS,
  loadConfig,
  requireInputKeySecret,
} from '../../shared/platform/config';

describe('loadConfig', () => {
  it('defaults to the embedded dev server and documented limits', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      taskQueue: 'keel-tasks',
      maxBodyBytes: 1024 * 1024,
      temporal: { address: '127.0.0.1:7233', namespace: 'default', embedded: true },
    });
    expect(config.temporal.tls).toBeUndefined();
  });

  it("bounds a worker's slots: the SDK's defaults, or what the operator sets", () => {
    expect(loadConfig({}).workerSlots).toEqual({
      workflowTasks: 40,
      activities: 100,
      localActivities: 100,
    });
    expect(
      loadConfig({ KEEL_WORKER_MAX_WORKFLOW_TASKS: '10', KEEL_WORKER_MAX_LOCAL_ACTIVITIES: '20' })
        .workerSlots,
    ).toEqual({ workflowTasks: 10, activities: 100, localActivities: 20 });
  });

  it('points at a real cluster with TEMPORAL_ADDRESS, and an API key implies TLS', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'k',
    });
    expect(config.temporal).toMatchObject({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      apiKey: 'k',
      embedded: false,
    });
    expect(config.temporal.tls).toBeDefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ TEMPORAL_ADDRESS: 'no-port' }, 'TEMPORAL_ADDRESS'],
    [{ KEEL_DEMO_API_KEY: 'short' }, 'KEEL_DEMO_API_KEY'],
    [{ KEEL_MAX_BODY_BYTES: '10' }, 'KEEL_MAX_BODY_BYTES'],
    [{ KEEL_WORKER_MAX_WORKFLOW_TASKS: '1' }, 'KEEL_WORKER_MAX_WORKFLOW_TASKS'],
    [{ KEEL_WORKER_MAX_ACTIVITIES: 'many' }, 'KEEL_WORKER_MAX_ACTIVITIES'],
    [{ TEMPORAL_TLS_CERT_PATH: '/x.pem' }, 'TEMPORAL_TLS_KEY_PATH'],
  ])('stops the boot naming the bad key: %j', (env, key) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(key);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: '', PORT: '' }).temporal.embedded).toBe(true);
  });

  it("KEEL_SQLITE_PRAGMAS: unset leaves the dev server's default; a typo stops the boot", () => {
    expect(loadConfig({}).devServer.sqlitePragmas).toBeUndefined();
    expect(
      loadConfig({ KEEL_SQLITE_PRAGMAS: 'journal_mode=WAL, synchronous=full' }).devServer
        .sqlitePragmas,
    ).toEqual(['journal_mode=wal', 'synchronous=full']);
    // The CLI would pass these through and SQLite would silently ignore them.
    for (const bad of ['synchronus=normal', 'synchronous=fast', 'journal_mode']) {
      expect(() => loadConfig({ KEEL_SQLITE_PRAGMAS: bad })).toThrow(
        /KEEL_SQLITE_PRAGMAS.*SQLite pragma/,
      );
    }
  });
});

describe('boot-time secrets', () => {
  it('serves no demo tenant unless asked: off by default, on for `npm start` (EMBEDDED_DEFAULTS)', () => {
    expect(loadConfig({}).demoTenant).toBe(false);
    expect(loadConfig({ KEEL_DEMO_TENANT: 'true' }).demoTenant).toBe(true);
    expect(loadConfig({}, { defaults: EMBEDDED_DEFAULTS }).demoTenant).toBe(true);
    // The operator's environment wins over the embedded default; an empty value means unset.
    expect(
      loadConfig({ KEEL_DEMO_TENANT: 'false' }, { defaults: EMBEDDED_DEFAULTS }).demoTenant,
    ).toBe(false);
    expect(loadConfig({ KEEL_DEMO_TENANT: '' }, { defaults: EMBEDDED_DEFAULTS }).demoTenant).toBe(
      true,
    );
  });

  it('refuses a demo key while the demo tenant is off, naming both variables', () => {
    const env = { KEEL_DEMO_API_KEY: 'an-operator-demo-key-0123456789' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/KEEL_DEMO_API_KEY.*KEEL_DEMO_TENANT=true/);
    // …and the message does not repeat the key.
    expect(() => loadConfig(env)).not.toThrow(/0123456789/);
    expect(loadConfig({ ...env, KEEL_DEMO_TENANT: 'true' }).demoApiKey).toBe(env.KEEL_DEMO_API_KEY);
  });

  it('a worker without KEEL_INPUT_KEY_SECRET is a boot error naming the variable', () => {
    expect(() => requireInputKeySecret(loadConfig({}))).toThrow(ConfigError);
    expect(() => requireInputKeySecret(loadConfig({}))).toThrow(/KEEL_INPUT_KEY_SECRET: required/);
    // Not even the embedded default has a built-in fallback (`npm start` generates one).
    expect(() => requireInputKeySecret(loadConfig({}, { defaults: EMBEDDED_DEFAULTS }))).toThrow(
      /KEEL_INPUT_KEY_SECRET/,
    );
    const secret = 'an-operator-secret-0123456789';
    expect(requireInputKeySecret(loadConfig({ KEEL_INPUT_KEY_SECRET: secret }))).toBe(secret);
  });
});

describe('KEEL_CONFIG (providers and model registry)', () => {
  it('loads the built-in registry with prices when unset', () => {
    const config = loadConfig({});
    expect(
      config.models.models.find((m) => m.provider === 'openai' && m.name === 'gpt-4o-mini')?.price
        .input,
    ).toBeGreaterThan(0);
  });

  it('stops the boot naming the bad key in the file', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'keel-cfg-')), 'keel.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        models: [
          { provider: 'openai', name: 'm', price: { input: -1, output: 1 } },
          { provider: 'nope', name: 'x', price: { input: 1, output: 1 } },
        ],
      }),
    );
    expect(() => loadConfig({ KEEL_CONFIG: file })).toThrow(/models\[0\]\.price\.input/);
    expect(() => loadConfig({ KEEL_CONFIG: file })).toThrow(
      /models\[1\]\.provider: unknown provider "nope"/,
    );
    writeFileSync(file, '{ not json');
    expect(() => loadConfig({ KEEL_CONFIG: file })).toThrow(/KEEL_CONFIG/);
  });
});
