import { describe, expect, it } from 'vitest';
import { ConfigError, EMBEDDED_DEFAULTS, loadConfig } from '../../shared/platform/config';
import { startNexusEndpoints } from '../../temporal/nexus-endpoint';

describe('KEEL_NEXUS_ENDPOINTS', () => {
  it('maps each Nexus endpoint to the tenant its operations run for', () => {
    expect(loadConfig({}).nexusEndpoints).toEqual({});
    expect(
      loadConfig({ KEEL_NEXUS_ENDPOINTS: 'keel=demo, keel-acme=acme' }).nexusEndpoints,
    ).toEqual({ keel: 'demo', 'keel-acme': 'acme' });
  });

  it('refuses a value that is not endpoint=tenant pairs, naming the variable', () => {
    for (const bad of ['keel', 'keel=', '=acme', 'keel_x=acme', 'keel=a=b', '-keel=acme']) {
      expect(() => loadConfig({ KEEL_NEXUS_ENDPOINTS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ KEEL_NEXUS_ENDPOINTS: bad }), bad).toThrow(/KEEL_NEXUS_ENDPOINTS/);
    }
  });

  it('npm start serves `keel` for the demo tenant unless the operator names endpoints', () => {
    const embedded = loadConfig({}, { defaults: EMBEDDED_DEFAULTS });
    expect(startNexusEndpoints(embedded)).toEqual({
      endpoints: { keel: 'demo' },
      env: 'keel=demo',
    });
    const named = loadConfig(
      { KEEL_NEXUS_ENDPOINTS: 'orders=acme' },
      { defaults: EMBEDDED_DEFAULTS },
    );
    expect(startNexusEndpoints(named).endpoints).toEqual({ orders: 'acme' });
    expect(startNexusEndpoints(loadConfig({ KEEL_DEMO_TENANT: 'false' })).env).toBe('');
  });
});
